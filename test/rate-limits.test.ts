import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { LocalWindows } from '../src/api/middleware/local-windows';
import { purchaseRateLimits } from '../src/api/middleware/rate-limit';
import { createLogger } from '../src/logger';
import { loadConfig } from '../src/config';
import { startPulseCart, type Harness } from './support/harness';
import { sleep } from '../tools/lib/wait';

/**
 * Purchases are limited per buyer and per client address, counted in Redis
 * so that every API replica shares the count.
 */
describe('purchase rate limits', () => {
  let h: Harness;
  let productId: number;

  beforeAll(async () => {
    h = await startPulseCart({
      RATE_LIMIT_USER_POINTS: 3,
      RATE_LIMIT_USER_DURATION_S: 60,
      RATE_LIMIT_IP_POINTS: 5,
      RATE_LIMIT_IP_DURATION_S: 60,
      RATE_LIMIT_STATUS_POINTS: 4,
      RATE_LIMIT_STATUS_DURATION_S: 60,
      // Each test comes "from" an address of its own, so that tests do not share a count.
      TRUST_PROXY: true,
    });
    ({ id: productId } = await h.createProduct({ stock: 100, maxPerUser: 100 }));
  });
  afterAll(() => h.close());

  /** A client address of its own (documentation range, RFC 3849) behind one the client made up; the last counts. */
  const address = () =>
    `2001:db8::${randomUUID().slice(0, 4)}, 2001:db8:${randomUUID().slice(0, 4)}::${randomUUID().slice(0, 4)}`;
  const attempt = (token: string, forwardedFor: string, body: unknown = { productId, quantity: 1 }) =>
    h.request('POST', '/api/v1/async/purchase', { token, body, headers: { 'x-forwarded-for': forwardedFor } });

  it('when one buyer goes past their attempts, then 429 RATE_LIMITED with Retry-After, and the stock is not touched', async () => {
    const token = await h.token(h.buyer());
    const from = address();
    const allowed = [];
    for (let i = 0; i < 3; i += 1) allowed.push(await attempt(token, from, { productId, quantity: 1 + i }));
    const before = await h.request('GET', `/api/v1/products/${productId}`);

    const limited = await attempt(token, from);

    expect(allowed.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect((await h.request('GET', `/api/v1/products/${productId}`)).body.available).toBe(before.body.available);
  });

  it('when a buyer is limited, then another buyer from the same address still buys', async () => {
    const from = address();
    const greedy = await h.token(h.buyer('greedy'));
    for (let i = 0; i < 4; i += 1) await attempt(greedy, from, { productId: 987_654_321, quantity: 1 });

    const other = await attempt(await h.token(h.buyer('other')), from);

    expect(other.status).toBe(202);
  });

  it('when one address goes past its attempts with many buyers or none, then 429 before the token is even read', async () => {
    const from = address();
    const statuses = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await attempt(await h.token(h.buyer()), from)).status);

    const withToken = await attempt(await h.token(h.buyer()), from);
    const withoutToken = await h.request('POST', '/api/v1/sync/purchase', {
      body: { productId, quantity: 1 },
      headers: { 'x-forwarded-for': from },
    });

    expect(statuses).toEqual([202, 202, 202, 202, 202]);
    expect([withToken.status, withoutToken.status]).toEqual([429, 429]);
  });

  it('when a buyer reads a status past the status budget, then 429 with Retry-After, on a count apart from purchases', async () => {
    const buyer = h.buyer();
    const token = await h.token(buyer);
    const from = address();
    const bought = await attempt(token, from);
    expect(bought.status).toBe(202);
    const read = () =>
      h.request('GET', `/api/v1/purchases/${bought.body.trackingId}`, { token, headers: { 'x-forwarded-for': from } });

    const statuses = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await read()).status);

    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    expect(Number((await read()).headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The purchase budget is untouched by the reads: the buyer still has two attempts of three.
    expect((await attempt(token, from)).status).toBe(202);
    // An operator checking a sale reads every purchase of it: administrators have no per-buyer status budget.
    const admin = await h.adminToken();
    const adminReads = [];
    for (let i = 0; i < 6; i += 1) {
      const reply = await h.request('GET', `/api/v1/purchases/${bought.body.trackingId}`, {
        token: admin,
        headers: { 'x-forwarded-for': address() },
      });
      adminReads.push(reply.status);
    }
    expect(adminReads).toEqual(Array(6).fill(200));
  });

  it('when a client writes its own X-Forwarded-For entries, then only the one our proxy appended counts', async () => {
    const proxyAppended = address().split(', ')[1];
    const statuses = [];
    for (let i = 0; i < 6; i += 1) {
      const spoofed = `2001:db8::${i + 1}, ${proxyAppended}`;
      statuses.push((await attempt(await h.token(h.buyer()), spoofed)).status);
    }

    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
  });
});

describe('purchase rate limits while their Redis is unreachable', () => {
  it('when the limiter cannot count, then the request goes on (fail open: the admission gate needs Redis too)', async () => {
    const unreachable = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    const config = loadConfig();
    const limits = purchaseRateLimits(unreachable, config, createLogger(config, 'test'));
    const app = new Koa();
    app.use(limits.perAddress).use((ctx) => {
      ctx.body = { reached: true };
    });
    const server = app.listen(0);
    try {
      const { port } = server.address() as AddressInfo;

      const response = await fetch(`http://127.0.0.1:${port}/api/v1/async/purchase`, { method: 'POST' });

      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ reached: true });
    } finally {
      server.close();
      unreachable.disconnect();
    }
  });
});

/** The in-process windows on their own: what the budget, the window's end and the key bound do. */
describe('the in-process windows (LocalWindows)', () => {
  const refused = (windows: LocalWindows, key: string) =>
    windows.consume(key).then(
      () => undefined,
      (res: RateLimiterRes) => res,
    );

  it('when a key spends its points, then the next attempt is refused until the window ends, and a new window starts afresh', async () => {
    const windows = new LocalWindows(2, 1, 10, 'test');
    await windows.consume('a');
    await windows.consume('a');
    const res = await refused(windows, 'a');
    expect(res).toBeInstanceOf(RateLimiterRes);
    expect(res!.msBeforeNext).toBeGreaterThan(0);
    expect(res!.msBeforeNext).toBeLessThanOrEqual(1000);
    // Another key has a budget of its own.
    await expect(windows.consume('b')).resolves.toMatchObject({ consumedPoints: 1, remainingPoints: 1 });
    await sleep(1_050);
    await expect(windows.consume('a')).resolves.toMatchObject({ consumedPoints: 1, isFirstInDuration: true });
  });

  it('when more keys arrive than it keeps, then the least recently seen is forgotten: its count is forgiven, never overcounted', async () => {
    const windows = new LocalWindows(1, 60, 2, 'test');
    await windows.consume('a');
    await windows.consume('b');
    await windows.consume('c');
    await expect(windows.consume('a')).resolves.toMatchObject({ consumedPoints: 1 });
    expect(await refused(windows, 'c')).toBeInstanceOf(RateLimiterRes);
  });
});
