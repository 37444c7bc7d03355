import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../src/clients/redis';
import { createRedis } from '../src/clients/redis';
import { loadConfig } from '../src/config';
import { Inventory, productKeys } from '../src/inventory/inventory';
import { AdmissionGate } from '../src/api/purchases/admission';
import { sleep } from '../tools/lib/wait';

/** The Redis gate on its own: the Lua scripts against a real Redis. */
describe('inventory', () => {
  let redis: RedisClient;
  let inventory: Inventory;
  // Far above the ids PostgreSQL hands out, so no sale test shares these keys.
  let productId = 9_000_000_000 + Math.floor(Math.random() * 1_000_000);

  beforeAll(() => {
    redis = createRedis(loadConfig());
    inventory = new Inventory(redis);
  });
  afterAll(() => redis.quit());
  beforeEach(async () => {
    productId += 1;
    await inventory.load(productId, 3, 2);
  });
  afterEach(() => redis.del(...productKeys(productId)));

  const reservation = (userId = 'u1', quantity = 1) => ({ trackingId: randomUUID(), userId, productId, quantity });

  it('when the same tracking id reserves twice, then stock is taken once and the second answer is HELD', async () => {
    const r = reservation();
    expect(await inventory.reserve(r)).toEqual({ outcome: 'RESERVED', available: 2 });
    expect(await inventory.reserve(r)).toEqual({ outcome: 'HELD', available: 2 });
    expect((await inventory.snapshot(productId))?.available).toBe(2);
  });

  it('when a reservation is released twice, then the units come back once, and a later reserve starts afresh', async () => {
    const r = reservation();
    await inventory.reserve(r);
    expect(await inventory.release(productId, r.trackingId)).toMatchObject({ outcome: 'RELEASED', available: 3 });
    expect(await inventory.release(productId, r.trackingId)).toMatchObject({ outcome: 'UNKNOWN', available: 3 });
    expect(await redis.hget(productKeys(productId)[1], 'u1')).toBe('0');
    expect(await inventory.reserve(r)).toEqual({ outcome: 'RESERVED', available: 2 });
  });

  it('when an unknown tracking id is released, then nothing moves', async () => {
    expect(await inventory.release(productId, randomUUID())).toMatchObject({ outcome: 'UNKNOWN', available: 3 });
  });

  it('when a tracking id that holds units comes back with another quantity, then IDEMPOTENCY_KEY_REUSED and nothing moves', async () => {
    const r = reservation('u1', 1);
    await inventory.reserve(r);
    expect(await inventory.reserve({ ...r, quantity: 2 })).toEqual({ outcome: 'IDEMPOTENCY_KEY_REUSED', available: 2 });
    expect(await redis.hget(productKeys(productId)[1], 'u1')).toBe('1');
  });

  it('when a reservation is settled, then a release gives nothing back: its order holds the units', async () => {
    const r = reservation();
    await inventory.reserve(r);
    expect(await inventory.settle(productId, r.trackingId)).toMatchObject({ available: 2 });
    expect(await inventory.release(productId, r.trackingId)).toMatchObject({ outcome: 'COMMITTED', available: 2 });
    expect(await redis.hget(productKeys(productId)[2], r.trackingId)).toMatch(/^C\|u1\|1\|\d+$/);
  });

  it('when Redis lost the product, then adjust, reconcile, settle and release write nothing: no partial stock hash', async () => {
    const r = reservation();
    await redis.del(...productKeys(productId));
    expect(await inventory.adjust(productId, 5)).toBeUndefined();
    expect(await inventory.reconcile(productId, 3, await inventory.now(), [])).toBeUndefined();
    expect(await inventory.settle(productId, r.trackingId)).toBeUndefined();
    expect((await inventory.release(productId, r.trackingId)).outcome).toBe('MISSING');
    expect(await redis.exists(...productKeys(productId))).toBe(0);
  });

  it('when reconciling, then reservations settled before the snapshot are pruned and those settled after it still count', async () => {
    const before = reservation('u1');
    const after = reservation('u2');
    const inFlight = reservation('u3');
    for (const r of [before, after, inFlight]) await inventory.reserve(r);
    await inventory.settle(productId, before.trackingId);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const snapshotAt = await inventory.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    // Committed after the snapshot was taken: its PostgreSQL stock (3 - 1 = 2) does not count it yet.
    await inventory.settle(productId, after.trackingId);

    const drift = await inventory.reconcile(productId, 2, snapshotAt, [before.trackingId]);
    expect(drift).toMatchObject({ drift: 0, available: 0, inFlight: 2 });
    expect(await inventory.reservationIds(productId)).toEqual(
      expect.arrayContaining([after.trackingId, inFlight.trackingId]),
    );
    expect(await inventory.reservationIds(productId)).not.toContain(before.trackingId);
  });

  it('when a product is rebuilt, then buyers keep what they ordered and purchases in flight keep their units', async () => {
    await redis.del(...productKeys(productId));
    const inFlight = reservation('u2', 1);
    const rebuilt = await inventory.rebuild(productId, {
      stock: 2,
      maxPerUser: 2,
      committed: { u1: 2 },
      inFlight: [inFlight],
    });
    expect(rebuilt?.available).toBe(1);
    expect(await inventory.reserve(reservation('u1', 1))).toEqual({ outcome: 'PURCHASE_LIMIT', available: 1 });
    expect(await inventory.reserve(inFlight)).toEqual({ outcome: 'HELD', available: 1 });
    expect(
      await inventory.rebuild(productId, { stock: 9, maxPerUser: 2, committed: {}, inFlight: [] }),
    ).toBeUndefined();
  });

  it('when a buyer would pass maxPerUser, then PURCHASE_LIMIT, counting what the buyer already holds', async () => {
    await inventory.reserve(reservation('u1', 1));
    expect((await inventory.reserve(reservation('u1', 2))).outcome).toBe('PURCHASE_LIMIT');
    expect((await inventory.reserve(reservation('u1', 1))).outcome).toBe('RESERVED');
  });

  it('when less is left than asked, then INSUFFICIENT_STOCK, and at zero SOLD_OUT', async () => {
    await inventory.reserve(reservation('u1', 2));
    expect((await inventory.reserve(reservation('u2', 2))).outcome).toBe('INSUFFICIENT_STOCK');
    expect((await inventory.reserve(reservation('u2', 1))).outcome).toBe('RESERVED');
    expect(await inventory.reserve(reservation('u3', 1))).toEqual({ outcome: 'SOLD_OUT', available: 0 });
  });

  it('when Redis does not know the product, then PRODUCT_NOT_FOUND', async () => {
    await redis.del(...productKeys(productId));
    expect((await inventory.reserve(reservation())).outcome).toBe('PRODUCT_NOT_FOUND');
  });

  it('when a user id contains the separator, then release still finds the buyer', async () => {
    const r = reservation('auth0|abc|1', 1);
    await inventory.reserve(r);
    await inventory.release(productId, r.trackingId);
    expect(await redis.hget(productKeys(productId)[1], 'auth0|abc|1')).toBe('0');
  });

  it('when stock changes, then its version grows, so consumers can tell newer from older', async () => {
    const before = (await inventory.snapshot(productId))!.version;
    const r = reservation();
    await inventory.reserve(r);
    await inventory.release(productId, r.trackingId);
    const adjusted = await inventory.adjust(productId, 5);
    expect(adjusted).toEqual({ available: 8, version: before + 3 });
  });

  it('when keys are made for a product, then they share one hash tag, so they live on one cluster slot', () => {
    const keys = productKeys(42);
    expect(keys.every((key) => key.startsWith('{p:42}:'))).toBe(true);
  });

  describe('the admission gate in front of it', () => {
    const WINDOW_MS = 100;
    // Redis knows these products: the gate must never need PostgreSQL's word about them.
    const unreachable = (): never => {
      throw new Error('the gate asked about a product Redis knows');
    };
    const neverMissing = { productExists: unreachable, requestRebuild: unreachable };

    it('when its sold-out window runs out, then one request asks Redis and those arriving meanwhile are refused from memory', async () => {
      const gate = new AdmissionGate(inventory, WINDOW_MS, neverMissing);
      await inventory.adjust(productId, -3);
      await expect(gate.admit(reservation('u1'))).rejects.toMatchObject({ code: 'SOLD_OUT' });
      expect(gate.knowsSoldOut(productId)).toBe(true);

      await sleep(WINDOW_MS + 20);
      // The first request after the window goes on to Redis; the crowd behind it does not.
      expect(gate.knowsSoldOut(productId)).toBe(false);
      expect([gate.knowsSoldOut(productId), gate.knowsSoldOut(productId)]).toEqual([true, true]);
      await inventory.adjust(productId, 2);
      // It finds the units that came back, and everyone may ask Redis again.
      expect(await gate.admit(reservation('u2'))).toBe('RESERVED');
      expect(gate.knowsSoldOut(productId)).toBe(false);
      expect(await gate.admit(reservation('u3'))).toBe('RESERVED');
      expect((await inventory.snapshot(productId))?.available).toBe(0);
    });

    it('when a repeat of a purchase that holds units meets the sold-out product, then the crowd is still refused from memory', async () => {
      const gate = new AdmissionGate(inventory, 60_000, neverMissing);
      const held = reservation('u1', 2);
      expect(await gate.admit(held)).toBe('RESERVED');
      expect(await gate.admit(reservation('u3', 1))).toBe('RESERVED');
      await expect(gate.admit(reservation('u2'))).rejects.toMatchObject({ code: 'SOLD_OUT' });
      // HELD says nothing of the stock: it must not send the crowd back to Redis.
      expect(await gate.admit(held)).toBe('HELD');
      expect(gate.knowsSoldOut(productId)).toBe(true);
    });

    it('when the request that asks Redis never reaches it (refused on the way), then the next window lets another ask', async () => {
      const gate = new AdmissionGate(inventory, WINDOW_MS, neverMissing);
      await inventory.adjust(productId, -3);
      await expect(gate.admit(reservation('u1'))).rejects.toMatchObject({ code: 'SOLD_OUT' });
      await sleep(WINDOW_MS + 20);
      expect(gate.knowsSoldOut(productId)).toBe(false);
      expect(gate.knowsSoldOut(productId)).toBe(true);
      await sleep(WINDOW_MS + 20);
      expect(gate.knowsSoldOut(productId)).toBe(false);
    });
  });
});
