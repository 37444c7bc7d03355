import type { Writable } from 'node:stream';
import type { StockEvent } from '../../stock-events/topology';

/** `id:` is the stock version, so a reconnecting browser tells us, in Last-Event-ID, what it last saw. */
export function formatStockEvent(event: StockEvent): string {
  return `id: ${event.version}\ndata: ${JSON.stringify(event)}\n\n`;
}

export interface ConnectionCounters {
  sent: number;
  /** Intermediate values replaced by a newer one while the client was not keeping up. */
  dropped: number;
}

/** Process-wide totals of the same counts (prom-client counters fit). */
export type ConnectionTotals = Record<keyof ConnectionCounters, { inc(): void }>;

/**
 * One subscriber's Server-Sent Events stream. Every event carries the whole
 * state (units available), so a client that is behind needs only the newest:
 * while its socket buffer is full, this holds one event and replaces it with
 * each newer one. Memory per client is bounded by the stream's buffer plus
 * one event, writes never wait, and the newest value is never dropped.
 */
export class SseConnection {
  readonly counters: ConnectionCounters = { sent: 0, dropped: 0 };
  /** Highest version written, waiting, or already known to the client. */
  private newestVersion = -1;
  private waiting?: StockEvent;
  private opened = false;

  constructor(
    readonly productId: number,
    /** The client's address, as the rest of the API takes it (TRUST_PROXY). */
    readonly address: string,
    private readonly out: Writable,
    private readonly totals: ConnectionTotals,
  ) {
    out.on('drain', () => this.flush());
  }

  get isOpen(): boolean {
    return this.opened;
  }

  /** Starts the stream: `retry:` tells the browser how long to wait before reconnecting. */
  open(retryMs: number): void {
    this.opened = true;
    this.write(`retry: ${retryMs}\n\n`);
    this.flush();
  }

  /** Queues the event unless the client already has it or something newer. */
  send(event: StockEvent): void {
    if (event.version <= this.newestVersion) return;
    this.newestVersion = event.version;
    if (this.waiting) this.count('dropped');
    this.waiting = event;
    this.flush();
  }

  /** The client says (Last-Event-ID) it has this version: nothing older is worth sending. */
  clientHas(version: number): void {
    if (version < this.newestVersion) return;
    this.newestVersion = version;
    this.waiting = undefined;
  }

  /** A comment line: proxies see traffic and keep the connection; browsers ignore it. */
  heartbeat(): void {
    if (this.opened && !this.out.writableNeedDrain) this.write(': heartbeat\n\n');
  }

  close(): void {
    this.out.end();
  }

  private flush(): void {
    if (!this.opened || !this.waiting || this.out.writableNeedDrain) return;
    const event = this.waiting;
    this.waiting = undefined;
    this.write(formatStockEvent(event));
    this.count('sent');
  }

  private count(what: keyof ConnectionCounters): void {
    this.counters[what] += 1;
    this.totals[what].inc();
  }

  private write(chunk: string): void {
    // A client that is gone is cleaned up by the route; until then, writing is pointless.
    if (!this.out.destroyed && !this.out.writableEnded) this.out.write(chunk);
  }
}
