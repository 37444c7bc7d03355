/**
 * Ways to start a purchase and learn its outcome, each a variant of the
 * workflows bench: as the bench always did (start, then Temporal's result
 * long-poll), on a client sharing the worker's NativeConnection, with eager
 * start on that client, as the API's sync path does (start, then the Redis
 * outcome), eagerly started with the Redis outcome (the API running a worker),
 * and as one update-with-start request.
 */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client, type WorkflowStartOptions } from '@temporalio/client';
import type { PurchaseOutcome, PurchaseRequest } from '../../src/domain/purchase';
import type { PurchaseOutcomes } from '../../src/purchase-status/purchase-outcomes';
import { purchaseVisibility } from '../../src/workflows/shared';
import type { WorkflowVariant } from '../lib/workflow-bench';
import { outcomeUpdate, purchase, purchaseAnswering } from '../workflows';

export interface PurchaseVariantDeps {
  productId: number;
  /** A client on the worker's NativeConnection: what eager start needs. */
  nativeClient: Client;
  outcomes: PurchaseOutcomes;
  /** How long the Redis variant waits for an outcome, like the API's sync deadline but long enough for a backlog. */
  outcomeWaitMs: number;
}

export interface PurchaseVariants {
  variants: WorkflowVariant[];
  /** Purchases that did not end CONFIRMED (there is stock for all). */
  notConfirmed(): number;
  /** Of the eager variants' starts, how many the server handed straight to the local worker. */
  eagerlyStarted(): { eager: number; of: number };
}

export function purchaseVariants({
  productId,
  nativeClient,
  outcomes,
  outcomeWaitMs,
}: PurchaseVariantDeps): PurchaseVariants {
  let notConfirmed = 0;
  let eager = 0;
  let eagerStarts = 0;
  const check = (outcome: Pick<PurchaseOutcome, 'status'> | undefined) => {
    if (outcome?.status !== 'CONFIRMED') notConfirmed += 1;
  };
  /** Started as the API starts it, memo and search attributes included. */
  const startOptions = (taskQueue: string, workflowId: string) => {
    const request: PurchaseRequest = {
      trackingId: randomUUID(),
      userId: `wf-bench-${process.pid}`,
      productId,
      quantity: 1,
    };
    const options: WorkflowStartOptions<typeof purchase> = {
      taskQueue,
      workflowId,
      args: [request],
      ...purchaseVisibility(request),
    };
    return { request, options };
  };
  const startEagerly = async (options: WorkflowStartOptions<typeof purchase>) => {
    const handle = await nativeClient.workflow.start(purchase, { ...options, requestEagerStart: true });
    eagerStarts += 1;
    if (handle.eagerlyStarted) eager += 1;
    return handle;
  };
  const variants: WorkflowVariant[] = [
    {
      name: 'purchase workflow',
      async execute(client, taskQueue, workflowId) {
        check(await client.workflow.execute(purchase, startOptions(taskQueue, workflowId).options));
      },
    },
    {
      name: 'purchase, native client',
      async execute(_, taskQueue, workflowId) {
        check(await nativeClient.workflow.execute(purchase, startOptions(taskQueue, workflowId).options));
      },
    },
    {
      name: 'purchase, eager start',
      async execute(_, taskQueue, workflowId) {
        const handle = await startEagerly(startOptions(taskQueue, workflowId).options);
        check(await handle.result());
      },
    },
    {
      name: 'purchase, start + Redis outcome',
      async execute(client, taskQueue, workflowId) {
        const { request, options } = startOptions(taskQueue, workflowId);
        await outcomes.pending(request);
        await client.workflow.start(purchase, options);
        check(await outcomes.settled(request.trackingId, outcomeWaitMs));
      },
    },
    {
      name: 'purchase, eager + Redis outcome',
      async execute(_, taskQueue, workflowId) {
        const { request, options } = startOptions(taskQueue, workflowId);
        await outcomes.pending(request);
        await startEagerly(options);
        check(await outcomes.settled(request.trackingId, outcomeWaitMs));
      },
    },
    {
      name: 'purchase, update-with-start',
      async execute(client, taskQueue, workflowId) {
        const { options } = startOptions(taskQueue, workflowId);
        const startWorkflowOperation = new WithStartWorkflowOperation(purchaseAnswering, {
          ...options,
          workflowIdConflictPolicy: 'FAIL',
        });
        check(await client.workflow.executeUpdateWithStart(outcomeUpdate, { startWorkflowOperation }));
      },
    },
  ];
  return { variants, notConfirmed: () => notConfirmed, eagerlyStarted: () => ({ eager, of: eagerStarts }) };
}
