import { startPulseCart, type Harness } from './support/harness';
import { expectSaleInvariants } from './support/invariants';
import { SseSubscriber } from '../tools/lib/sse-subscriber';
import { sleep } from '../tools/lib/wait';

async function metric(h: Harness, name: string): Promise<number> {
  const text = (await h.request('GET', '/metrics')).body as string;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

describe('the stock stream (Server-Sent Events)', () => {
  let h: Harness;
  const open: SseSubscriber[] = [];
  const subscribe = async (productId: number, options?: Parameters<typeof SseSubscriber.open>[2]) => {
    const subscriber = await SseSubscriber.open(h.baseUrl, productId, options);
    open.push(subscriber);
    return subscriber;
  };

  beforeAll(async () => {
    // Frequent heartbeats, so that one test can see them; the others ignore comment lines.
    h = await startPulseCart({ SSE_HEARTBEAT_MS: 100 });
  });
  afterEach(() => {
    for (const subscriber of open.splice(0)) subscriber.close();
  });
  afterAll(() => h.close());

  it('when a buyer subscribes, then a snapshot comes first with retry: and the stock version as id:', async () => {
    const { id: productId } = await h.createProduct({ stock: 5 });
    const snapshot = await h.inventory.snapshot(productId);
    const subscriber = await subscribe(productId);

    const first = await subscriber.until(() => true);
    expect(first).toEqual({ productId, available: 5, version: snapshot?.version, ts: expect.any(Number) });
    expect(subscriber.lastEventId).toBe(String(snapshot?.version));
    expect(subscriber.retryMs).toBe(h.config.SSE_RETRY_MS);
    expect(subscriber.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(subscriber.response.headers['cache-control']).toBe('no-cache, no-transform');
  });

  it('when buyers purchase and an admin restocks, then every subscriber follows the stock and ends on its value at rest', async () => {
    const { id: productId } = await h.createProduct({ stock: 3 });
    const subscribers = await Promise.all([subscribe(productId), subscribe(productId)]);
    await Promise.all(subscribers.map((s) => s.until((e) => e.available === 3)));

    const bought = await h.request('POST', '/api/v1/sync/purchase', {
      token: await h.token(h.buyer()),
      body: { productId, quantity: 1 },
    });
    expect(bought.status).toBe(200);
    await Promise.all(subscribers.map((s) => s.until((e) => e.available === 2)));

    const restocked = await h.request('PUT', `/api/v1/admin/products/${productId}/stock`, {
      token: await h.adminToken(),
      body: { stock: 10 },
    });
    expect(restocked.status).toBe(200);
    await Promise.all(subscribers.map((s) => s.until((e) => e.available === 10)));

    await expectSaleInvariants(h, {
      productId,
      initialStock: 11,
      maxPerUser: 1,
      accepted: [bought.body.trackingId],
      subscribers,
    });
  });

  it('when a browser reconnects with Last-Event-ID equal to the current version, then no snapshot is sent again', async () => {
    const { id: productId } = await h.createProduct({ stock: 4 });
    const snapshot = await h.inventory.snapshot(productId);
    const current = await subscribe(productId, { lastEventId: snapshot?.version });
    const behind = await subscribe(productId, { lastEventId: (snapshot?.version ?? 1) - 1 });

    await behind.until((e) => e.version === snapshot?.version);
    await sleep(200);
    expect(current.events).toEqual([]);
    expect(current.retryMs).toBe(h.config.SSE_RETRY_MS);

    await h.request('PUT', `/api/v1/admin/products/${productId}/stock`, {
      token: await h.adminToken(),
      body: { stock: 6 },
    });
    await current.until((e) => e.available === 6);
  });

  it('when the product does not exist or the id is malformed, then the stream answers 404 or 400 as JSON', async () => {
    const missing = await h.request('GET', '/api/v1/stock/stream?productId=999999999999');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('PRODUCT_NOT_FOUND');
    const malformed = await h.request('GET', '/api/v1/stock/stream?productId=abc');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('when subscribers disconnect, then their streams are cleaned up', async () => {
    const { id: productId } = await h.createProduct({ stock: 1 });
    const before = await metric(h, 'pulsecart_sse_subscribers');
    const subscribers = await Promise.all([subscribe(productId), subscribe(productId), subscribe(productId)]);
    await Promise.all(subscribers.map((s) => s.until(() => true)));
    expect(await metric(h, 'pulsecart_sse_subscribers')).toBe(before + 3);

    for (const subscriber of subscribers) subscriber.close();
    const deadline = Date.now() + 5000;
    while ((await metric(h, 'pulsecart_sse_subscribers')) !== before && Date.now() < deadline) await sleep(20);
    expect(await metric(h, 'pulsecart_sse_subscribers')).toBe(before);
  });

  it('when one subscriber stops reading, then the others keep up, and the slow one still ends on the newest value', async () => {
    const { id: productId } = await h.createProduct({ stock: 1 });
    const fast = await subscribe(productId);
    const slow = await subscribe(productId);
    await Promise.all([fast.until(() => true), slow.until(() => true)]);
    slow.pause();
    const droppedBefore = await metric(h, 'pulsecart_sse_events_dropped_total');

    // Far more than the socket buffers hold, in batches so that the fast client can read in between.
    const base = fast.latest?.version ?? 0;
    const total = 100_000;
    for (let i = 1; i <= total; i += 1) {
      h.fanOut.streams.publish({ productId, available: i % 1000, version: base + i, ts: Date.now() });
      if (i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const final = base + total;

    await fast.until((e) => e.version === final, 5000);
    expect(slow.closed).toBe(false);
    expect(slow.latest?.version ?? 0).toBeLessThan(final);
    expect(await metric(h, 'pulsecart_sse_events_dropped_total')).toBeGreaterThan(droppedBefore);

    slow.resume();
    await slow.until((e) => e.version === final, 10_000);
  });

  it('when nothing changes, then the stream still carries a comment line every SSE_HEARTBEAT_MS', async () => {
    const { id: productId } = await h.createProduct({ stock: 1 });
    const subscriber = await subscribe(productId);
    await sleep(450);
    expect(subscriber.comments).toBeGreaterThanOrEqual(3);
    expect(subscriber.events).toHaveLength(1);
  });
});
