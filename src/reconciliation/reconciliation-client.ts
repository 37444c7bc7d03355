/** Starting reconciliation from outside the worker: the schedule, an admin's request, the admission gate. */
import { randomUUID } from 'node:crypto';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client } from '@temporalio/client';
import { ValueError } from '@temporalio/common';
import type { ProductReconciliation } from '../activities/reconciliation';
import type { reconcileStock } from '../workflows/reconcile';
import { RECONCILE_SCHEDULE_ID, RECONCILE_WORKFLOW, reconcileTaskQueue } from '../workflows/shared';

/** A requested reconciliation takes seconds; one still running after this is given up, and the next request starts anew. */
const RECONCILE_REQUEST_TIMEOUT = '5 minutes';

export class ReconciliationClient {
  private readonly taskQueue: string;

  /** `purchaseTaskQueue`: the purchases' task queue; reconciliation runs on the one beside it. */
  constructor(
    private readonly temporal: Client,
    purchaseTaskQueue: string,
  ) {
    this.taskQueue = reconcileTaskQueue(purchaseTaskQueue);
  }

  /**
   * Every minute, all products; a run still going when the next is due is
   * skipped. Idempotent; a schedule left aimed at another task queue (say,
   * by a worker of a test) is made anew on ours.
   */
  async ensureSchedule(): Promise<void> {
    const existing = this.temporal.schedule.getHandle(RECONCILE_SCHEDULE_ID);
    const description = await existing.describe().catch((err) => {
      if (err instanceof ScheduleNotFoundError) return undefined;
      // Written with payload keys this process no longer has (an older schedule had arguments): made anew.
      if (err instanceof ValueError) return 'unreadable' as const;
      throw err;
    });
    if (description !== undefined && description !== 'unreadable' && description.action.taskQueue === this.taskQueue)
      return;
    if (description) await existing.delete();
    try {
      await this.temporal.schedule.create({
        scheduleId: RECONCILE_SCHEDULE_ID,
        spec: { intervals: [{ every: '1m' }] },
        // No arguments (all products): nothing in the schedule is encrypted, so a worker can always read it back.
        action: { type: 'startWorkflow', workflowType: RECONCILE_WORKFLOW, taskQueue: this.taskQueue, args: [] },
        policies: { overlap: 'SKIP' },
      });
    } catch (err) {
      // Another worker starting at the same moment made it first.
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    }
  }

  /** Runs a reconciliation now and waits for its report. */
  run(productIds?: number[]): Promise<ProductReconciliation[]> {
    return this.temporal.workflow.execute<typeof reconcileStock>(RECONCILE_WORKFLOW, {
      taskQueue: this.taskQueue,
      workflowId: `reconcile-${randomUUID()}`,
      args: [{ productIds }],
    });
  }

  /** Asks for one product to be reconciled soon; many callers at once start one workflow. */
  async request(productId: number): Promise<void> {
    await this.temporal.workflow.start<typeof reconcileStock>(RECONCILE_WORKFLOW, {
      taskQueue: this.taskQueue,
      workflowId: `reconcile-product-${productId}`,
      workflowIdConflictPolicy: 'USE_EXISTING',
      // Joining a run that can never finish (its task queue lost its workers) must not block rebuilds for good.
      workflowExecutionTimeout: RECONCILE_REQUEST_TIMEOUT,
      args: [{ productIds: [productId] }],
    });
  }
}
