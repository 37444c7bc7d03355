/**
 * Buyers watching the stock: SSE subscribers on GET /api/v1/stock/stream.
 * Each keeps the newest `available` it saw (invariant 6); the first one's
 * events go into the stock chart; every event's delay from the worker's
 * stock read to its arrival here is kept.
 */
import { setMaxListeners } from 'node:events';
import { createParser } from 'eventsource-parser';
import { Pool } from 'undici';
import { sleep } from '../../tools/lib/wait';

/** What a browser's EventSource waits before reconnecting when the server gave no `retry:`. */
const BROWSER_RETRY_MS = 3000;

export interface StockEventSample {
  /** Ms after the sale opened. */
  t: number;
  available: number;
}

interface StockEvent {
  available: number;
  version?: number;
  ts: number;
}

function parseEvent(data: string): StockEvent | undefined {
  try {
    const event = JSON.parse(data) as StockEvent;
    return typeof event.available === 'number' ? event : undefined;
  } catch {
    return undefined; // not a stock event
  }
}

export class StockSubscribers {
  /** The newest event each subscriber saw, by version when events carry one. */
  readonly latest: (StockEvent | undefined)[];
  /** The first subscriber's events. */
  readonly events: StockEventSample[] = [];
  /** From the stock read in the worker to the event's arrival here, every subscriber, ms. */
  readonly delaysMs: number[] = [];
  /** Why the stream could not be opened (e.g. the API has no such route yet). */
  unavailable?: string;
  private readonly pool: Pool;
  private readonly abort = new AbortController();
  private readonly streams: Promise<void>[] = [];

  private constructor(
    origin: string,
    readonly count: number,
    private readonly now: () => number,
  ) {
    this.latest = new Array(count).fill(undefined);
    setMaxListeners(count + 1, this.abort.signal); // one abort signal closes every stream
    this.pool = new Pool(origin, { connections: Math.max(1, count), bodyTimeout: 0 });
  }

  /** Opens `count` streams and resolves once each has answered (or the first refused). */
  static async open(origin: string, productId: number, count: number, now: () => number): Promise<StockSubscribers> {
    const subscribers = new StockSubscribers(origin, count, now);
    const answered = Array.from({ length: count }, (_, i) => subscribers.subscribe(i, productId));
    await Promise.all(answered);
    return subscribers;
  }

  latestAvailable(): (number | undefined)[] {
    return this.latest.map((event) => event?.available);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.streams);
    await this.pool.destroy();
  }

  /**
   * Resolves when the stream has answered; reading goes on in the background. Like a browser's EventSource,
   * a stream that ends (its API went away) is opened again after the `retry:` delay the API gave.
   */
  private async subscribe(index: number, productId: number, reconnecting = false): Promise<void> {
    const response = await this.pool.request({
      method: 'GET',
      path: `/api/v1/stock/stream?productId=${productId}`,
      headers: { accept: 'text/event-stream' },
      signal: this.abort.signal,
    });
    if (response.statusCode !== 200) {
      const refusal = `GET /api/v1/stock/stream answered ${response.statusCode}: ${await response.body.text()}`;
      if (reconnecting) throw new Error(refusal);
      this.unavailable ??= refusal;
      return;
    }
    let retryMs = BROWSER_RETRY_MS;
    const parser = createParser({
      onEvent: (event) => this.see(index, parseEvent(event.data)),
      onRetry: (ms) => (retryMs = ms),
    });
    const decoder = new TextDecoder();
    this.streams.push(
      (async () => {
        for await (const chunk of response.body) parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
      })()
        .catch(() => undefined) // cut, or aborted at close
        .then(() => this.reconnect(index, productId, retryMs)),
    );
  }

  private async reconnect(index: number, productId: number, retryMs: number): Promise<void> {
    while (!this.abort.signal.aborted) {
      await sleep(retryMs);
      if (this.abort.signal.aborted) return;
      try {
        await this.subscribe(index, productId, true);
        return;
      } catch {
        // Still no API to answer: wait and try again, as a browser does.
      }
    }
  }

  private see(index: number, event: StockEvent | undefined): void {
    if (!event) return;
    this.delaysMs.push(Date.now() - event.ts);
    const latest = this.latest[index];
    if (!latest || event.version === undefined || latest.version === undefined || event.version > latest.version)
      this.latest[index] = event;
    if (index === 0) this.events.push({ t: this.now(), available: event.available });
  }
}
