import { SseSubscriber } from '../tools/lib/sse-subscriber';
import { startPulseCart, type Harness } from './support/harness';
import { expectRaceSellsOut } from './support/sale-driver';

const SUBSCRIBERS = 1000;
const STOCK = 200;
const BUYERS = 400;
/** Connections opened at once: well under the listen backlog, so that no SYN waits for a retry. */
const OPEN_AT_ONCE = 100;

describe('a sale watched by a thousand subscribers', () => {
  let h: Harness;
  const subscribers: SseSubscriber[] = [];
  beforeAll(async () => {
    h = await startPulseCart();
  });
  afterAll(async () => {
    for (const subscriber of subscribers) subscriber.close();
    await h.close();
  });

  it('when 1,000 subscribers watch a 200-unit sale, then every one of them ends on 0 and never steps back', async () => {
    const { id: productId } = await h.createProduct({ stock: STOCK, maxPerUser: 1 });
    while (subscribers.length < SUBSCRIBERS) {
      const batch = Array.from({ length: OPEN_AT_ONCE }, () => SseSubscriber.open(h.baseUrl, productId));
      subscribers.push(...(await Promise.all(batch)));
    }
    await Promise.all(subscribers.map((s) => s.until((e) => e.available === STOCK)));

    // Every buyer at once: exactly STOCK admitted and confirmed, every invariant, every subscriber ending on 0.
    await expectRaceSellsOut(h, { productId, buyers: BUYERS, stock: STOCK, subscribers });
    for (const subscriber of subscribers) {
      const versions = subscriber.events.map((e) => e.version);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
      expect(subscriber.latest?.available).toBe(0);
    }
    // Coalesced: far fewer events than the 200 commits (and their reservations) that changed the stock.
    const received = subscribers.map((s) => s.events.length);
    expect(Math.max(...received)).toBeLessThan(STOCK);
  });
});
