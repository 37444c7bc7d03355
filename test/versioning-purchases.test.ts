/**
 * The purchase worker under Worker Versioning (WORKER_DEPLOYMENT set): the
 * first step of every rollout in docs/operations.md. A versioned worker takes
 * nothing until its build is made current; then purchases run on it, each
 * pinned to the build that started it.
 */
import { randomUUID } from 'node:crypto';
import { workflowIdFor } from '../src/domain/purchase';
import { sleep } from '../tools/lib/wait';
import { startPulseCart, type Harness } from './support/harness';
import { pinnedBuildOf, setCurrentVersion } from './support/worker-deployments';

const BUILD = 'build-1';
/** Long enough for an unversioned-looking worker to have finished the purchase many times over. */
const UNSERVED_FOR_MS = 2000;

describe('the purchase worker with WORKER_DEPLOYMENT', () => {
  const deploymentName = `pulsecart-${randomUUID()}`;
  let h: Harness;
  beforeAll(async () => {
    h = await startPulseCart({ WORKER_DEPLOYMENT: deploymentName, RELEASE: BUILD });
  });
  afterAll(() => h.close());

  const status = async (trackingId: string) =>
    (await h.request('GET', `/api/v1/purchases/${trackingId}`, { token: await h.adminToken() })).body.status;

  it('when no build is current, then a purchase waits; once the build is made current, it completes pinned to that build', async () => {
    const { id: productId } = await h.createProduct({ stock: 2 });
    const accepted = await h.request('POST', '/api/v1/async/purchase', {
      token: await h.token(h.buyer()),
      body: { productId, quantity: 1 },
    });
    expect(accepted.status).toBe(202);
    const { trackingId } = accepted.body;
    await sleep(UNSERVED_FOR_MS);
    expect(await status(trackingId)).toBe('PENDING');

    await setCurrentVersion(h.temporal, { deploymentName, buildId: BUILD });
    while ((await status(trackingId)) === 'PENDING') await sleep(100);
    expect(await status(trackingId)).toBe('CONFIRMED');
    expect(await pinnedBuildOf(h.temporal.workflow.getHandle(workflowIdFor(trackingId)))).toBe(BUILD);

    const bought = await h.request('POST', '/api/v1/sync/purchase', {
      token: await h.token(h.buyer()),
      body: { productId, quantity: 1 },
    });
    expect(bought.body.status).toBe('CONFIRMED');
    // The buyer hears CONFIRMED once the order is committed; the workflow's last task completes just after.
    const handle = h.temporal.workflow.getHandle(workflowIdFor(bought.body.trackingId));
    await handle.result();
    expect(await pinnedBuildOf(handle)).toBe(BUILD);
  });
});
