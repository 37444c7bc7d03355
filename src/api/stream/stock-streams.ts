import type { StockEvent } from '../../stock-events/topology';
import type { SseConnection } from './sse-connection';

export interface StreamOptions {
  /** How often every open stream gets a comment line. */
  heartbeatMs: number;
  /** Open streams this instance holds at most, in all and from one client address. */
  maxStreams: number;
  maxStreamsPerAddress: number;
  subscribers: { inc(): void; dec(): void };
}

/**
 * The open stock streams of this API instance, by product. An event is
 * handed to each of the product's streams without waiting on any of them:
 * a slow client holds its own latest value and nobody else's.
 */
export class StockStreams {
  private readonly byProduct = new Map<number, Set<SseConnection>>();
  private readonly byAddress = new Map<string, number>();
  private open = 0;
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

  /**
   * Registers a stream, unless this instance or the stream's client address already holds as many as allowed
   * (then undefined). The returned function removes it (at most once), which frees its slot.
   */
  add(connection: SseConnection): (() => void) | undefined {
    const fromAddress = this.byAddress.get(connection.address) ?? 0;
    if (this.open >= this.options.maxStreams || fromAddress >= this.options.maxStreamsPerAddress) return undefined;
    this.open += 1;
    this.byAddress.set(connection.address, fromAddress + 1);
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
    this.open -= 1;
    const fromAddress = (this.byAddress.get(connection.address) ?? 1) - 1;
    if (fromAddress === 0) this.byAddress.delete(connection.address);
    else this.byAddress.set(connection.address, fromAddress);
  }

  private beat(): void {
    for (const streams of this.byProduct.values()) for (const connection of streams) connection.heartbeat();
  }
}
