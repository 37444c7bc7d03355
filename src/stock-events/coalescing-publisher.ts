import type { Logger } from '../logger';
import type { StockEvent } from './topology';

export interface EventPublisher {
  publish(event: StockEvent): Promise<void>;
}

/** A product whose last publish was less than an interval ago. */
interface Window {
  timer: NodeJS.Timeout;
  /** Version of the event published when the window opened. */
  publishedVersion: number;
  /** The newest event offered since then: it goes out when the window closes. */
  latest?: StockEvent;
}

/**
 * Throttles stock events per product so that a burst of purchases does not
 * become a burst of messages to every subscriber. The first change after a
 * quiet interval is published at once (a lone purchase shows up without
 * delay); changes within the interval collapse into one trailing publish of
 * the newest value, so the final value always goes out. Each worker process
 * throttles on its own: N workers publish at most N events per interval.
 */
export class CoalescingPublisher {
  private readonly windows = new Map<number, Window>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly publisher: EventPublisher,
    private readonly options: { intervalMs: number; logger: Logger },
  ) {}

  /**
   * Never waits and never throws: a purchase does not wait for, nor fail
   * with, its broadcast. A failed publish is logged; the product's next change,
   * or a subscriber's snapshot when it reconnects, brings the value.
   */
  offer(event: StockEvent): 'published' | 'coalesced' {
    const window = this.windows.get(event.productId);
    if (!window) {
      this.publishAndOpenWindow(event);
      return 'published';
    }
    if (event.version > (window.latest?.version ?? window.publishedVersion)) window.latest = event;
    return 'coalesced';
  }

  /** Publishes what is waiting at once and resolves when the broker has confirmed everything. */
  async close(): Promise<void> {
    for (const [productId, window] of this.windows) {
      clearTimeout(window.timer);
      this.windows.delete(productId);
      if (window.latest) this.send(window.latest);
    }
    await Promise.allSettled([...this.inFlight]);
  }

  private publishAndOpenWindow(event: StockEvent): void {
    const timer = setTimeout(() => this.closeWindow(event.productId), this.options.intervalMs).unref();
    this.windows.set(event.productId, { timer, publishedVersion: event.version });
    this.send(event);
  }

  private closeWindow(productId: number): void {
    const window = this.windows.get(productId);
    this.windows.delete(productId);
    if (window?.latest) this.publishAndOpenWindow(window.latest);
  }

  private send(event: StockEvent): void {
    const publishing = this.publisher
      .publish(event)
      .catch((err) => {
        this.options.logger.warn({ err, ...event }, 'stock event not published');
        this.forgetPublished(event);
      })
      .finally(() => this.inFlight.delete(publishing));
    this.inFlight.add(publishing);
  }

  /**
   * The broker did not take it: the window must not count it as out, or the
   * same value offered again (a reconciliation says the stock every run) would
   * be taken for a repeat and dropped.
   */
  private forgetPublished(event: StockEvent): void {
    const window = this.windows.get(event.productId);
    if (window?.publishedVersion === event.version) window.publishedVersion = -1;
  }
}
