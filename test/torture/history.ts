/**
 * A torture history: what happens to one small product, and when. Generated
 * from a seed with fast-check, so a seed names one history for good and a
 * failing one replays with `npm run torture -- --seed S` (the system's own
 * timing still varies between runs; the operations and their start times do not).
 */
import fc from 'fast-check';

export type Op =
  | { kind: 'purchase'; buyer: number; mode: 'sync' | 'async'; quantity: number; key?: string }
  | { kind: 'restock'; stock: number }
  | { kind: 'reconcile' }
  | { kind: 'flushRedis' }
  | { kind: 'killWorker'; downMs: number };

export interface TimedOp {
  /** Milliseconds after the history starts: ops on the same tick start together. */
  at: number;
  op: Op;
}

export interface History {
  seed: number;
  stock: number;
  maxPerUser: number;
  buyers: number;
  ops: TimedOp[];
}

/** Ops start on a 100 ms grid over 4 s, so several are often in flight at once. */
const at = fc.integer({ min: 0, max: 40 }).map((tick) => tick * 100);

function purchase(buyers: number, maxPerUser: number): fc.Arbitrary<Op> {
  return fc.record({
    kind: fc.constant('purchase' as const),
    buyer: fc.nat(buyers - 1),
    mode: fc.constantFrom('sync' as const, 'async' as const),
    // Mostly within the limit, so that a buyer has room for a second purchase (a key reused with
    // another body can then make one); sometimes one past it, so that PURCHASE_LIMIT is asked for too.
    quantity: fc.oneof(
      { weight: 3, arbitrary: fc.constant(1) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: maxPerUser }) },
      { weight: 1, arbitrary: fc.constant(maxPerUser + 1) },
    ),
    // Two keys per buyer: reused with the same body and with another one.
    key: fc.option(fc.constantFrom('key-a', 'key-b'), { nil: undefined, freq: 3 }),
  });
}

const adminOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('restock' as const), stock: fc.integer({ min: 0, max: 8 }) }),
  fc.constant({ kind: 'reconcile' as const }),
);

const timed = (op: fc.Arbitrary<Op>) => fc.record({ at, op });

function historyOf(seed: number): fc.Arbitrary<History> {
  const shape = fc.record({
    stock: fc.integer({ min: 3, max: 8 }),
    maxPerUser: fc.integer({ min: 1, max: 4 }),
    buyers: fc.integer({ min: 2, max: 4 }),
  });
  return shape.chain((s) =>
    fc
      .record({
        purchases: fc.array(timed(purchase(s.buyers, s.maxPerUser)), { minLength: 10, maxLength: 20 }),
        admin: fc.array(timed(adminOp), { minLength: 1, maxLength: 4 }),
        flushes: fc.array(timed(fc.constant({ kind: 'flushRedis' as const })), { maxLength: 2 }),
        // One worker at a time: a history kills it at most once.
        kills: fc.array(
          timed(fc.record({ kind: fc.constant('killWorker' as const), downMs: fc.integer({ min: 0, max: 2000 }) })),
          { maxLength: 1 },
        ),
      })
      .map(({ purchases, admin, flushes, kills }) => ({
        seed,
        ...s,
        ops: [...purchases, ...admin, ...flushes, ...kills].sort((a, b) => a.at - b.at),
      })),
  );
}

export function generateHistory(seed: number): History {
  return fc.sample(historyOf(seed), { seed, numRuns: 1 })[0];
}

export function describeOp(op: Op): string {
  switch (op.kind) {
    case 'purchase':
      return `buyer ${op.buyer} ${op.mode} ×${op.quantity}${op.key ? ` key ${op.key}` : ''}`;
    case 'restock':
      return `restock to ${op.stock}`;
    case 'reconcile':
      return 'reconcile';
    case 'flushRedis':
      return 'Redis loses its data (FLUSHDB)';
    case 'killWorker':
      return `kill -9 the worker, restart after ${op.downMs} ms`;
  }
}

export function describeHistory(h: History): string {
  const lines = h.ops.map((t, i) => `  #${i} @${t.at}ms ${describeOp(t.op)}`);
  return [`seed ${h.seed}: stock ${h.stock}, maxPerUser ${h.maxPerUser}, ${h.buyers} buyers`, ...lines].join('\n');
}
