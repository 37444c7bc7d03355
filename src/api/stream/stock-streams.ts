import type { StockEvent } from '../../stock-events/topology';
import type { SseConnection } from './sse-connection';

export interface StreamOptions {
  /** How often every open stream gets a comment line. */
  heartbeatMs: number;
  subscribers: { inc(): void; dec(): void };
}

/**
 * The open stock streams of this API instance, by product. An event is
 * handed to each of the product's streams without waiting on any of them:
 * a slow client holds its own latest value and nobody else's.
 */
export class StockStreams {
  private readonly byProduct = new Map<number, Set<SseConnection>>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly options: StreamOptions) {
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs).unref();
  }

  publish(event: StockEvent): void {
    for (const connection of this.byProduct.get(event.productId) ?? []) connection.send(event);
  }

  /** Products that have at least one open stream here. */
  products(): number[] {
    return [...this.byProduct.keys()];
  }

  /** Registers a stream; the returned function removes it (at most once). */
  add(connection: SseConnection): () => void {
    let streams = this.byProduct.get(connection.productId);
    if (!streams) this.byProduct.set(connection.productId, (streams = new Set()));
    streams.add(connection);
    this.options.subscribers.inc();
    return () => this.remove(connection);
  }

  /** Ends every stream, so that the HTTP server can close. */
  close(): void {
    clearInterval(this.heartbeat);
    for (const streams of this.byProduct.values()) for (const connection of streams) connection.close();
  }

  private remove(connection: SseConnection): void {
    const streams = this.byProduct.get(connection.productId);
    if (!streams?.delete(connection)) return;
    this.options.subscribers.dec();
    if (streams.size === 0) this.byProduct.delete(connection.productId);
  }

  private beat(): void {
    for (const streams of this.byProduct.values()) for (const connection of streams) connection.heartbeat();
  }
}
