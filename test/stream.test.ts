import http from 'node:http';
import { startPulseCart, type Harness } from './support/harness';
import { expectSaleInvariants } from './support/invariants';
import { SseSubscriber } from '../tools/lib/sse-subscriber';
import { sleep } from '../tools/lib/wait';

async function metric(h: Harness, name: string): Promise<number> {
  const text = (await h.request('GET', '/metrics')).body as string;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

/** Resolves once the metric has the value; rejects with what it has after `timeoutMs`. */
async function metricReaches(h: Harness, name: string, value: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await metric(h, name)) !== value && Date.now() < deadline) await sleep(20);
  expect(await metric(h, name)).toBe(value);
}

/**
 * Hands `total` events for the product to its streams, far more than socket buffers hold, in batches so that
 * clients that read can keep up in between. Returns the last version.
 */
async function flood(h: Harness, productId: number, fromVersion: number, total = 100_000): Promise<number> {
  for (let i = 1; i <= total; i += 1) {
    h.fanOut.streams.publish({ productId, available: i % 1000, version: fromVersion + i, ts: Date.now() });
    if (i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return fromVersion + total;
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
    await metricReaches(h, 'pulsecart_sse_subscribers', before);
  });

  it('when one subscriber stops reading, then the others keep up, and the slow one still ends on the newest value', async () => {
    const { id: productId } = await h.createProduct({ stock: 1 });
    const fast = await subscribe(productId);
    const slow = await subscribe(productId);
    await Promise.all([fast.until(() => true), slow.until(() => true)]);
    slow.pause();
    const droppedBefore = await metric(h, 'pulsecart_sse_events_dropped_total');

    const final = await flood(h, productId, fast.latest?.version ?? 0);

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

/** A stream opened as if through nginx from `address`; resolves once the answer's headers arrive. */
function openFrom(h: Harness, address: string, productId: number): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${h.baseUrl}/api/v1/stock/stream?productId=${productId}`, {
      headers: { accept: 'text/event-stream', 'x-forwarded-for': address },
      agent: false,
    });
    request.once('error', reject);
    request.once('response', resolve);
  });
}

async function jsonOf(response: http.IncomingMessage): Promise<any> {
  let body = '';
  for await (const chunk of response) body += chunk;
  return JSON.parse(body);
}

describe("the stock stream's limits", () => {
  let h: Harness;
  const open: http.IncomingMessage[] = [];
  const stream = async (address: string, productId: number) => {
    const response = await openFrom(h, address, productId);
    open.push(response);
    return response;
  };

  beforeAll(async () => {
    // Small caps that a test reaches at once; a stall timeout that a reading client never meets (heartbeats).
    h = await startPulseCart(
      {
        TRUST_PROXY: true,
        SSE_MAX_STREAMS_PER_ADDRESS: 2,
        SSE_MAX_STREAMS: 4,
        SSE_HEARTBEAT_MS: 100,
        SSE_STALL_TIMEOUT_MS: 1000,
      },
      { withWorker: false },
    );
  });
  afterEach(async () => {
    for (const response of open.splice(0)) response.destroy();
    await metricReaches(h, 'pulsecart_sse_subscribers', 0);
  });
  afterAll(() => h.close());

  it('when one address holds SSE_MAX_STREAMS_PER_ADDRESS streams, then its next one is 503 TOO_MANY_STREAMS with Retry-After, and other addresses still get theirs', async () => {
    const { id: productId } = await h.createProduct({ stock: 1 });
    // Refused requests hold no slot.
    for (let i = 0; i < 3; i += 1) expect((await stream('198.51.100.1', 999_999_999_999)).statusCode).toBe(404);

    expect((await stream('198.51.100.1', productId)).statusCode).toBe(200);
    expect((await stream('198.51.100.1', productId)).statusCode).toBe(200);
    const refused = await stream('198.51.100.1', productId);

    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe(String(Math.ceil(h.config.SSE_RETRY_MS / 1000)));
    expect(await jsonOf(refused)).toEqual({ error: { code: 'TOO_MANY_STREAMS', message: expect.any(String) } });
    expect((await stream('198.51.100.2', productId)).statusCode).toBe(200);
  });

  it('when the instance holds SSE_MAX_STREAMS streams, then every address is refused until one of them ends', async () => {
    const { id: productId } = await h.createProduct({ stock: 1 });
    const streams = [];
    for (let i = 1; i <= 4; i += 1) streams.push(await stream(`198.51.100.${10 + i}`, productId));
    expect(streams.map((s) => s.statusCode)).toEqual([200, 200, 200, 200]);
    expect((await stream('198.51.100.20', productId)).statusCode).toBe(503);

    streams[0].destroy();
    await metricReaches(h, 'pulsecart_sse_subscribers', 3);
    expect((await stream('198.51.100.20', productId)).statusCode).toBe(200);
  });

  it('when a subscriber stops taking data (a dead or stuck peer), then its stream ends after SSE_STALL_TIMEOUT_MS and frees its slot', async () => {
    const { id: productId } = await h.createProduct({ stock: 1 });
    const stuck = await stream('198.51.100.30', productId);
    const reading = await stream('198.51.100.30', productId);
    expect([stuck.statusCode, reading.statusCode]).toEqual([200, 200]);
    stuck.pause();
    reading.resume();

    // Events fill the stuck socket's buffers (megabytes on loopback), then nothing more goes through it.
    let version = Date.now() * 1000;
    const deadline = Date.now() + 30_000;
    while ((await metric(h, 'pulsecart_sse_subscribers')) === 2 && Date.now() < deadline) {
      version = await flood(h, productId, version, 1000);
    }
    expect(await metric(h, 'pulsecart_sse_subscribers')).toBe(1);
    expect(reading.socket.destroyed).toBe(false);
    expect((await stream('198.51.100.30', productId)).statusCode).toBe(200);
  });
});
