import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { AppError } from '../../domain/errors';
import { workflowIdFor, type PurchaseOutcome, type PurchaseRequest } from '../../domain/purchase';
import { trackingIdFor } from '../../domain/tracking';
import type { Inventory } from '../../inventory/inventory';
import type { purchase } from '../../workflows/purchase';
import {
  PURCHASE_WORKFLOW,
  ProductIdAttribute,
  PurchaseStatusAttribute,
  UserIdAttribute,
} from '../../workflows/shared';
import type { Principal } from '../middleware/auth';
import type { ApiMetrics } from '../metrics';
import type { AdmissionGate } from './admission';

export interface PurchaseServiceDeps {
  temporal: Client;
  taskQueue: string;
  gate: AdmissionGate;
  inventory: Inventory;
  metrics: ApiMetrics;
}

export interface Admitted {
  request: PurchaseRequest;
  handle: WorkflowHandle<typeof purchase>;
}

/** What the buyer is told about a purchase at any time. */
export type PurchaseView = Omit<PurchaseOutcome, 'orderId' | 'reason'> & Partial<PurchaseOutcome>;

interface PurchaseMemo {
  userId?: string;
  productId?: number;
  quantity?: number;
}

function temporalUnavailable(cause: unknown, trackingId: string): AppError {
  return new AppError(
    'TEMPORARILY_UNAVAILABLE',
    'Purchases cannot be reached right now; please retry.',
    503,
    { trackingId },
    { cause },
  );
}

/** Turns buyer requests into purchase workflows and reads their state back from Temporal. */
export class PurchaseService {
  constructor(private readonly deps: PurchaseServiceDeps) {}

  /** Admits the buyer (or answers 404/409 at once) and starts the workflow, or finds the one already there. */
  async begin(
    userId: string,
    body: { productId: number; quantity: number },
    idempotencyKey?: string,
  ): Promise<Admitted> {
    const request: PurchaseRequest = {
      ...body,
      userId,
      trackingId: trackingIdFor({ userId, ...body }, idempotencyKey),
    };
    const outcome = await this.deps.gate.admit(request, { useSoldOutCache: !idempotencyKey });
    try {
      const handle = await this.start(request);
      if (outcome === 'RESERVED') this.deps.metrics.workflowsStarted.inc();
      return { request, handle };
    } catch (err) {
      // No workflow will come for this reservation: give the units back now
      // (if Redis is out of reach too, reconciliation finds the orphan).
      if (outcome === 'RESERVED') {
        await this.deps.inventory.release(request.productId, request.trackingId).catch(() => undefined);
      }
      throw temporalUnavailable(err, request.trackingId);
    }
  }

  /**
   * The workflow's outcome, or undefined if it is still running when the
   * deadline passes or Temporal cannot be asked right now: the buyer then
   * gets the tracking id to poll.
   */
  async waitFor(admitted: Admitted, deadlineMs: number): Promise<PurchaseOutcome | undefined> {
    const { request, handle } = admitted;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), deadlineMs);
    });
    const outcome = handle.result().catch((err): PurchaseOutcome | undefined => {
      if (err instanceof WorkflowFailedError) return { ...request, status: 'FAILED' };
      return undefined;
    });
    try {
      return await Promise.race([outcome, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Reads a purchase from Temporal with describe (strongly consistent, and it
   * answers with every worker down), then the result once it has one.
   * Someone else's purchase is as unknown as a missing one.
   */
  async view(trackingId: string, principal: Principal): Promise<PurchaseView> {
    const handle = this.deps.temporal.workflow.getHandle<typeof purchase>(workflowIdFor(trackingId));
    const description = await handle.describe().catch((err) => {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw temporalUnavailable(err, trackingId);
    });
    const memo = (description?.memo ?? {}) as PurchaseMemo;
    if (!description || (memo.userId !== principal.userId && !principal.isAdmin)) {
      throw new AppError('PURCHASE_NOT_FOUND', 'No such purchase', 404);
    }
    const base = { trackingId, productId: memo.productId ?? 0, quantity: memo.quantity ?? 0 };
    switch (description.status.name) {
      case 'RUNNING':
        return { ...base, status: 'PENDING' };
      case 'COMPLETED':
        return handle.result().catch((err) => {
          throw temporalUnavailable(err, trackingId);
        });
      default:
        return { ...base, status: 'FAILED' };
    }
  }

  private async start(request: PurchaseRequest): Promise<WorkflowHandle<typeof purchase>> {
    const workflowId = workflowIdFor(request.trackingId);
    try {
      return await this.deps.temporal.workflow.start<typeof purchase>(PURCHASE_WORKFLOW, {
        workflowId,
        taskQueue: this.deps.taskQueue,
        args: [request],
        // A repeat while it runs joins it; a repeat after it closed reads its result.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        memo: { userId: request.userId, productId: request.productId, quantity: request.quantity },
        typedSearchAttributes: [
          { key: ProductIdAttribute, value: String(request.productId) },
          { key: UserIdAttribute, value: request.userId },
          { key: PurchaseStatusAttribute, value: 'PENDING' },
        ],
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return this.deps.temporal.workflow.getHandle(workflowId);
      throw err;
    }
  }
}
