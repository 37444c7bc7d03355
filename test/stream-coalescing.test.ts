import pino from 'pino';
import { CoalescingPublisher } from '../src/stock-events/coalescing-publisher';
import type { StockEvent } from '../src/stock-events/topology';
import { sleep } from '../tools/lib/wait';

const INTERVAL_MS = 50;
const event = (productId: number, version: number): StockEvent => ({
  productId,
  available: 100 - version,
  version,
  ts: Date.now(),
});

function recordingPublisher() {
  const published: { event: StockEvent; at: number }[] = [];
  return {
    published,
    async publish(e: StockEvent) {
      published.push({ event: e, at: performance.now() });
    },
  };
}

describe('coalescing stock events per product', () => {
  const logger = pino({ level: 'silent' });

  it('when a product changes once after a quiet spell, then the event goes out at once', async () => {
    const target = recordingPublisher();
    const publisher = new CoalescingPublisher(target, { intervalMs: INTERVAL_MS, logger });
    expect(publisher.offer(event(1, 1))).toBe('published');
    await sleep(0);
    expect(target.published.map((p) => p.event.version)).toEqual([1]);
    await publisher.close();
  });

  it('when a burst changes a product every few ms, then at most one event per interval goes out and the last is the final value', async () => {
    const target = recordingPublisher();
    const publisher = new CoalescingPublisher(target, { intervalMs: INTERVAL_MS, logger });
    const started = performance.now();
    let version = 0;
    while (performance.now() - started < 10 * INTERVAL_MS) {
      version += 1;
      publisher.offer(event(1, version));
      await sleep(2);
    }
    await sleep(INTERVAL_MS * 2);

    const published = target.published;
    expect(published.at(-1)?.event.version).toBe(version);
    expect(published.length).toBeLessThanOrEqual(12);
    expect(published.length).toBeLessThan(version / 3);
    for (let i = 1; i < published.length; i += 1) {
      // Node may fire a timer up to a millisecond early.
      expect(published[i].at - published[i - 1].at).toBeGreaterThanOrEqual(INTERVAL_MS - 1);
    }
    await publisher.close();
  });

  it('when two products change in the same burst, then each gets its own events', async () => {
    const target = recordingPublisher();
    const publisher = new CoalescingPublisher(target, { intervalMs: INTERVAL_MS, logger });
    for (let version = 1; version <= 5; version += 1) {
      publisher.offer(event(1, version));
      publisher.offer(event(2, version + 100));
    }
    await sleep(INTERVAL_MS * 2);
    const last = (productId: number) => target.published.filter((p) => p.event.productId === productId).at(-1);
    expect(last(1)?.event.version).toBe(5);
    expect(last(2)?.event.version).toBe(105);
    await publisher.close();
  });

  it('when an older version is offered after a newer one, then it is never published', async () => {
    const target = recordingPublisher();
    const publisher = new CoalescingPublisher(target, { intervalMs: INTERVAL_MS, logger });
    publisher.offer(event(1, 9));
    publisher.offer(event(1, 7));
    await sleep(INTERVAL_MS * 2);
    expect(target.published.map((p) => p.event.version)).toEqual([9]);
    await publisher.close();
  });

  it('when the worker shuts down mid-interval, then close() publishes the waiting value at once', async () => {
    const target = recordingPublisher();
    const publisher = new CoalescingPublisher(target, { intervalMs: 60_000, logger });
    publisher.offer(event(1, 1));
    publisher.offer(event(1, 2));
    await publisher.close();
    expect(target.published.map((p) => p.event.version)).toEqual([1, 2]);
  });

  it('when the broker refuses a publish, then offer() neither throws nor waits, and the failure is logged', async () => {
    const logged: { level: number; msg: string; version?: number }[] = [];
    const capture = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    const failing = { publish: () => Promise.reject(new Error('channel closed')) };
    const publisher = new CoalescingPublisher(failing, { intervalMs: INTERVAL_MS, logger: capture });
    expect(publisher.offer(event(1, 1))).toBe('published');
    await publisher.close();
    expect(logged).toEqual([expect.objectContaining({ msg: 'stock event not published', version: 1 })]);
  });

  it('when the broker refuses an event, then the same value offered again within the interval still goes out', async () => {
    const target = recordingPublisher();
    let refuse = true;
    const refusingOnce = {
      async publish(e: StockEvent) {
        if (refuse) {
          refuse = false;
          throw new Error('channel closed');
        }
        await target.publish(e);
      },
    };
    const publisher = new CoalescingPublisher(refusingOnce, { intervalMs: INTERVAL_MS, logger });
    publisher.offer(event(1, 7));
    await sleep(0);
    // Reconciliation says the stock again, same version: it must not be taken for the event already out.
    expect(publisher.offer(event(1, 7))).toBe('coalesced');
    await sleep(INTERVAL_MS * 2);
    expect(target.published.map((p) => p.event.version)).toEqual([7]);
    await publisher.close();
  });
});
