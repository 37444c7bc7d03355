/**
 * `npm run record-histories`: runs three real purchases through a real worker
 * on the Temporal Service at TEMPORAL_ADDRESS (or the dev server it starts),
 * and writes their histories next to this file for test/replay.test.ts.
 * Re-record when the workflow changes on purpose (a new version, after the
 * old executions are drained); never to make a failing replay pass.
 */
import '../../tools/lib/test-env';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { workflowIdFor, type PurchaseOutcome, type PurchaseRequest } from '../../src/domain/purchase';
import { productKeys } from '../../src/inventory/inventory';
import { PURCHASE_WORKFLOW } from '../../src/workflows/shared';
import { payloadCodec } from '../../src/codec/encryption-codec';
import { ensureEnvironment } from '../../tools/setup';
import { startPulseCart, type Harness } from '../support/harness';
import { historyToJSON } from './history-json';
import { HISTORIES } from './names';

type Recording = (h: Harness) => Promise<{ trackingId: string; expected: Partial<PurchaseOutcome> }>;

/** How each history comes about: the real path through the workflow, with nothing stubbed. */
const RECORDINGS: Record<(typeof HISTORIES)[number], Recording> = {
  /** reserveStock → commitOrder → confirmReservation. */
  async confirmed(h) {
    const { id: productId } = await h.createProduct({ stock: 2 });
    const token = await h.token(h.buyer());
    const bought = await h.request('POST', '/api/v1/sync/purchase', { token, body: { productId, quantity: 1 } });
    return { trackingId: bought.body.trackingId, expected: { status: 'CONFIRMED' } };
  },

  /** The workflow's own reserve step refuses: started directly, past the gate, for more than the stock. */
  async 'rejected-for-stock'(h) {
    const { id: productId } = await h.createProduct({ stock: 2, maxPerUser: 5 });
    const request: PurchaseRequest = { trackingId: randomUUID(), userId: h.buyer(), productId, quantity: 3 };
    await h.temporal.workflow.execute(PURCHASE_WORKFLOW, {
      taskQueue: h.taskQueue,
      workflowId: workflowIdFor(request.trackingId),
      args: [request],
    });
    return { trackingId: request.trackingId, expected: { status: 'REJECTED', reason: 'INSUFFICIENT_STOCK' } };
  },

  /**
   * reserveStock → commitOrder refused → releaseReservation. Redis forgot that
   * the buyer holds their one unit, so the gate admits a second; PostgreSQL,
   * the truth, refuses it at commit.
   */
  async compensated(h) {
    const { id: productId } = await h.createProduct({ stock: 3, maxPerUser: 1 });
    const buyer = h.buyer();
    const token = await h.token(buyer);
    const first = await h.request('POST', '/api/v1/sync/purchase', { token, body: { productId, quantity: 1 } });
    if (first.status !== 200) throw new Error(`the first purchase was not confirmed: ${JSON.stringify(first.body)}`);
    await h.redis.hdel(productKeys(productId)[1], buyer);
    const second = await h.request('POST', '/api/v1/sync/purchase', { token, body: { productId, quantity: 1 } });
    return {
      trackingId: second.body.error?.details?.trackingId,
      expected: { status: 'REJECTED', reason: 'PURCHASE_LIMIT' },
    };
  },
};

async function record(h: Harness, name: (typeof HISTORIES)[number]): Promise<void> {
  const { trackingId, expected } = await RECORDINGS[name](h);
  if (!trackingId) throw new Error(`${name}: no workflow was started`);
  const handle = h.temporal.workflow.getHandle(workflowIdFor(trackingId));
  const outcome: PurchaseOutcome = await handle.result();
  const took = Object.entries(expected).filter(([key, value]) => outcome[key as keyof PurchaseOutcome] !== value);
  if (took.length > 0) throw new Error(`${name}: the purchase ended otherwise: ${JSON.stringify(outcome)}`);
  const file = path.join(__dirname, `${name}.json`);
  // Stored decrypted: the replay must not depend on this machine's payload keys (a fresh clone has others).
  writeFileSync(file, historyToJSON(await decrypted(h, await handle.fetchHistory())));
  console.log(
    `recorded ${path.relative(process.cwd(), file)} (${outcome.status}${outcome.reason ? ` ${outcome.reason}` : ''})`,
  );
}

type Payload = Parameters<ReturnType<typeof payloadCodec>['decode']>[0][number];

/** The history with every payload in it decoded by the purchase's codec (a payload is whatever has `metadata`). */
async function decrypted<T>(h: Harness, history: T): Promise<T> {
  const codec = payloadCodec(h.config);
  const walk = async (node: unknown): Promise<void> => {
    if (!node || typeof node !== 'object') return;
    // Arrays too: their entries are indexed the same way.
    for (const [key, value] of Object.entries(node)) {
      if (value && typeof value === 'object' && 'metadata' in value && 'data' in value) {
        [(node as Record<string, Payload>)[key]] = await codec.decode([value as Payload]);
      } else await walk(value);
    }
  };
  await walk(history);
  return history;
}

async function run(): Promise<void> {
  const environment = await ensureEnvironment([process.env.DATABASE_URL as string]);
  process.env.TEMPORAL_ADDRESS = environment.temporalAddress;
  const h = await startPulseCart();
  try {
    for (const name of HISTORIES) await record(h, name);
  } finally {
    await h.close();
  }
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
