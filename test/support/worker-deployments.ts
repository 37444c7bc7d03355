/**
 * An operator's Worker Deployment commands, through the Temporal API:
 * what `temporal worker deployment set-current-version` and
 * `set-ramping-version` send, and the build an execution is pinned to.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { decodeVersioningBehavior, type WorkerDeploymentVersion } from '@temporalio/common';
import { sleep } from '../../tools/lib/wait';

const ACCEPTED_WITHIN_MS = 30_000;

/** The server learns of a version from its workers' first polls: until then it refuses, and the call is repeated. */
async function untilAccepted(call: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + ACCEPTED_WITHIN_MS;
  for (;;) {
    try {
      await call();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

export function setCurrentVersion(client: Client, version: WorkerDeploymentVersion): Promise<void> {
  const { namespace } = client.options;
  return untilAccepted(() => client.workflowService.setWorkerDeploymentCurrentVersion({ namespace, ...version }));
}

export function setRampingVersion(client: Client, version: WorkerDeploymentVersion, percentage: number): Promise<void> {
  const { namespace } = client.options;
  return untilAccepted(() =>
    client.workflowService.setWorkerDeploymentRampingVersion({ namespace, ...version, percentage }),
  );
}

/** The build an execution is pinned to, as the server records it; undefined when it is not pinned. */
export async function pinnedBuildOf(handle: WorkflowHandle): Promise<string | undefined> {
  const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
  if (decodeVersioningBehavior(info?.behavior) !== 'PINNED') return undefined;
  return info?.deploymentVersion?.buildId ?? undefined;
}
