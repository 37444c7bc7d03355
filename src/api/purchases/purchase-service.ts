import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import pLimit from 'p-limit';
import { AppError } from '../../domain/errors';
import { workflowIdFor, type PurchaseOutcome, type PurchasePattern, type PurchaseRequest } from '../../domain/purchase';
import { trackingIdFor } from '../../domain/tracking';
import type { Inventory } from '../../inventory/inventory';
import type { EventPublisher } from '../../stock-events/coalescing-publisher';
import type { Logger } from '../../logger';
import type { PurchaseOutcomes, PurchaseRecord } from '../../purchase-status/purchase-outcomes';
import type { purchase } from '../../workflows/purchase';
import { PURCHASE_WORKFLOW, purchaseStart } from '../../workflows/shared';
import type { Principal } from '../middleware/auth';
import type { ApiMetrics } from '../metrics';
import type { Admission, AdmissionGate } from './admission';
import { rejection } from './admission';
import type { IdempotencyKeys } from './idempotency';

export interface PurchaseServiceDeps {
  temporal: Client;
  taskQueue: string;
  gate: AdmissionGate;
  idempotencyKeys: IdempotencyKeys;
  inventory: Inventory;
  /** Where each purchase's status lands: answers status reads and sync waits without Temporal. */
  outcomes: PurchaseOutcomes;
  /** Confirmed publishes of stock events, for the units the API gives back. */
  publisher: EventPublisher;
  metrics: ApiMetrics;
  logger: Logger;
  /** How long after its arrival a sync request is answered: with the outcome, or PENDING (202). */
  syncDeadlineMs: number;
  /** Ask Temporal for the first workflow task in the start reply: this process runs purchases (EAGER_START). */
  eagerStart: boolean;
  /** Purchase starts in flight to Temporal at once; the others wait their turn, in order. */
  startConcurrency: number;
}

export type Pattern = PurchasePattern;

/** What the buyer is told about a purchase at any time. */
export type PurchaseView = Omit<PurchaseOutcome, 'orderId' | 'reason'> & Partial<PurchaseOutcome>;

export interface PurchaseOrder {
  userId: string;
  productId: number;
  quantity: number;
  idempotencyKey?: string;
}

interface PurchaseMemo {
  userId?: string;
  productId?: number;
  quantity?: number;
}

type Handle = WorkflowHandle<typeof purchase>;

/**
 * A purchase takes well under a second; one still PENDING in Redis after this
 * long may have ended where no activity recorded it (its reserve step gave up
 * while Redis was out of reach): Temporal is asked.
 */
const STALE_PENDING_MS = 30_000;

/** The crowd's answer, made once: it carries nothing of the request, and nothing writes to it. */
const SOLD_OUT = rejection('SOLD_OUT');

function temporalUnavailable(cause: unknown, trackingId: string): AppError {
  return new AppError('TEMPORARILY_UNAVAILABLE', { details: { trackingId }, cause });
}

/**
 * The purchase, from the buyer's request to the workflow and back:
 * 1. the Idempotency-Key is bound to this request (another body: 422);
 * 2. the admission gate reserves the units in Redis (or answers 404/409 with no workflow);
 * 3. the `purchase` workflow is started, or the one this tracking id already has is joined;
 *    when no workflow will come for the reservation, its units are given back;
 * 4. sync waits for the outcome up to its deadline; async, and sync past it, answer PENDING.
 * Every purchase metric is counted here, once per answer.
 */
export class PurchaseService {
  /**
   * A crowd admitted at once would send every start to Temporal together, and
   * the workflow tasks that finish purchases would queue behind them: every
   * purchase would end late, together. In turn, the first end first, and a
   * start finds this process' purchase worker free for the eager task.
   */
  private readonly startSlots: pLimit.Limit;

  constructor(private readonly deps: PurchaseServiceDeps) {
    this.startSlots = pLimit(deps.startConcurrency);
  }

  /**
   * The crowd's cheap path, before anything shared is touched: a product this
   * process saw sold out moments ago is refused from memory. A request with an
   * Idempotency-Key is checked first (Redis, then PostgreSQL when Redis lost the
   * key): a repeat goes on to the answer of its purchase, the same key with
   * another body is 422, and only a key neither knows is refused as sold out.
   * The refusal is returned, not thrown: thrown, it unwound every middleware's
   * await on its way to the error middleware, about 4 µs of a sold-out answer's 45.
   */
  async soldOutRefusal(pattern: Pattern, order: PurchaseOrder): Promise<AppError | undefined> {
    if (!this.deps.gate.knowsSoldOut(order.productId)) return undefined;
    const { userId, productId, quantity, idempotencyKey } = order;
    if (idempotencyKey) {
      try {
        if (await this.checkKey({ trackingId: trackingIdFor(userId, idempotencyKey), productId, quantity }))
          return undefined;
      } catch (err) {
        if (err instanceof AppError) this.countRefusal(pattern, err.code, err.httpStatus);
        throw err;
      }
    }
    this.countRefusal(pattern, 'SOLD_OUT', 409);
    return SOLD_OUT;
  }

  /** Whether the key is known (its request went on before); 422 when it was used with another body. */
  private checkKey(request: Pick<PurchaseRequest, 'trackingId' | 'productId' | 'quantity'>): Promise<boolean> {
    return this.deps.idempotencyKeys.check(request).catch((err) => {
      if (err instanceof AppError) throw err;
      throw new AppError('TEMPORARILY_UNAVAILABLE', { cause: err });
    });
  }

  /** The sync and async patterns: the outcome (sync, within its deadline) or PENDING to poll. */
  async purchase(pattern: Pattern, order: PurchaseOrder): Promise<PurchaseView> {
    const arrivedAt = performance.now();
    try {
      const view = await this.placeAndMaybeWait(pattern, order, arrivedAt);
      this.deps.metrics.purchases.inc({ pattern, outcome: view.status });
      return view;
    } catch (err) {
      if (err instanceof AppError) this.countRefusal(pattern, err.code, err.httpStatus);
      else this.deps.metrics.purchases.inc({ pattern, outcome: 'ERROR' });
      throw err;
    }
  }

  private countRefusal(pattern: Pattern, code: string, httpStatus: number): void {
    this.deps.metrics.purchases.inc({ pattern, outcome: code });
    if (httpStatus < 500) this.deps.metrics.admissionRejections.inc({ reason: code });
  }

  /**
   * The sync deadline counts from the request's arrival, so the time a start waited for its turn is part of it;
   * a start still waiting at the deadline is waited for all the same (no answer before Temporal has the workflow).
   */
  private async placeAndMaybeWait(pattern: Pattern, order: PurchaseOrder, arrivedAt: number): Promise<PurchaseView> {
    const { request, handle } = await this.place(pattern, order);
    const pending: PurchaseView = { ...requestView(request), status: 'PENDING' };
    if (pattern === 'async' || !handle) return pending;
    const left = this.deps.syncDeadlineMs - (performance.now() - arrivedAt);
    const record = await this.deps.outcomes.settled(request.trackingId, Math.max(0, left)).catch(() => undefined);
    return record?.status === 'CONFIRMED' || record?.status === 'REJECTED' || record?.status === 'FAILED'
      ? viewOf(record)
      : pending;
  }

  /** Steps 1 to 3. No handle: the workflow may exist but Temporal could not say; the buyer polls. */
  private async place(pattern: Pattern, order: PurchaseOrder): Promise<{ request: PurchaseRequest; handle?: Handle }> {
    const { userId, productId, quantity, idempotencyKey } = order;
    const trackingId = trackingIdFor(userId, idempotencyKey);
    const request: PurchaseRequest = { trackingId, userId, productId, quantity, pattern };
    const keyKnown = idempotencyKey === undefined || (await this.checkKey(request));
    const admission = await this.deps.gate.admit(request).catch(async (err) => {
      // The gate refused a key neither Redis nor PostgreSQL knows: if its workflow exists (a purchase still in
      // flight when Redis lost the key), that workflow's memo says whether this is another body.
      if (!keyKnown) await this.refuseIfKeyUsedElsewhere(request);
      throw err;
    });
    // Without it, status reads of this purchase ask Temporal: worth a warning, not a refusal.
    await this.deps.outcomes
      .pending(request)
      .catch((err) => this.deps.logger.warn({ err, trackingId: request.trackingId }, 'purchase status not recorded'));
    let started: { handle: Handle; existed: boolean };
    try {
      started = await this.start(request);
    } catch (err) {
      return { request, handle: await this.afterFailedStart(request, err) };
    }
    if (started.existed) await this.joinExisting(request, admission, started.handle);
    if (idempotencyKey) await this.rememberKey(request);
    return { request, handle: started.handle };
  }

  /** Starts the workflow, or finds that this tracking id has one already (running or closed). */
  private async start(request: PurchaseRequest): Promise<{ handle: Handle; existed: boolean }> {
    const workflowId = workflowIdFor(request.trackingId);
    try {
      const handle = await this.inTurn(() =>
        this.deps.temporal.workflow.start<typeof purchase>(PURCHASE_WORKFLOW, {
          ...purchaseStart(request, workflowId, this.deps.taskQueue),
          requestEagerStart: this.deps.eagerStart,
        }),
      );
      this.deps.metrics.workflowsStarted.inc();
      if (handle.eagerlyStarted) this.deps.metrics.workflowsStartedEagerly.inc();
      return { handle, existed: false };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      return { handle: this.deps.temporal.workflow.getHandle(workflowId), existed: true };
    }
  }

  /** The starts-waiting gauge is read when a start joins the queue and when one leaves it for the wire. */
  private inTurn<T>(start: () => Promise<T>): Promise<T> {
    const waiting = () => this.deps.metrics.workflowStartsWaiting.set(this.startSlots.pendingCount);
    const started = this.startSlots(() => {
      waiting();
      return start();
    });
    waiting();
    return started;
  }

  /**
   * The start failed, yet the server may have created the run (a timeout
   * under load). Only when describe says it does not exist are the units given
   * back and the buyer told to retry (a retry with the same key then starts
   * afresh); otherwise the buyer gets the tracking id to poll.
   */
  private async afterFailedStart(request: PurchaseRequest, err: unknown): Promise<Handle | undefined> {
    const handle = this.deps.temporal.workflow.getHandle<typeof purchase>(workflowIdFor(request.trackingId));
    const exists = await handle.describe().then(
      () => true,
      (describeErr) => (describeErr instanceof WorkflowNotFoundError ? false : undefined),
    );
    if (exists === false) {
      await this.giveBack(request);
      throw temporalUnavailable(err, request.trackingId);
    }
    this.deps.logger.warn({ err, trackingId: request.trackingId, exists }, 'purchase start unconfirmed; buyer polls');
    return exists ? handle : undefined;
  }

  /**
   * A repeat of a tracking id that has a workflow. Another body is refused (the
   * durable check, for when Redis lost the key's binding). Units reserved just
   * now for a workflow that has closed are given back: it will never take them.
   */
  private async joinExisting(request: PurchaseRequest, admission: Admission, handle: Handle): Promise<void> {
    const description = await handle.describe().catch((err) => {
      throw temporalUnavailable(err, request.trackingId);
    });
    const another = await this.startedForAnother(request, description);
    if (admission === 'RESERVED' && (another || description.status.name !== 'RUNNING')) await this.giveBack(request);
    if (another) throw rejection('IDEMPOTENCY_KEY_REUSED');
  }

  /** 422 when this tracking id's workflow exists for another request; anything else, including no answer, passes. */
  private async refuseIfKeyUsedElsewhere(request: PurchaseRequest): Promise<void> {
    const handle = this.deps.temporal.workflow.getHandle<typeof purchase>(workflowIdFor(request.trackingId));
    const description = await handle.describe().catch(() => undefined);
    if (description && (await this.startedForAnother(request, description))) {
      throw rejection('IDEMPOTENCY_KEY_REUSED');
    }
  }

  /** Whether the key's workflow was started for another request; if so, Redis learns that request again. */
  private async startedForAnother(request: PurchaseRequest, description: { memo?: unknown }): Promise<boolean> {
    const memo = (description.memo ?? {}) as PurchaseMemo;
    if (memo.productId === request.productId && memo.quantity === request.quantity) return false;
    if (memo.productId !== undefined && memo.quantity !== undefined) {
      await this.rememberKey({ trackingId: request.trackingId, productId: memo.productId, quantity: memo.quantity });
    }
    return true;
  }

  /** Best effort: the workflow's memo stays the truth when Redis cannot take it. */
  private async rememberKey(request: Pick<PurchaseRequest, 'trackingId' | 'productId' | 'quantity'>): Promise<void> {
    await this.deps.idempotencyKeys
      .remember(request)
      .catch((err) => this.deps.logger.warn({ err, trackingId: request.trackingId }, 'idempotency key not cached'));
  }

  /** Releases a reservation no workflow will take, and tells subscribers. */
  private async giveBack(request: PurchaseRequest): Promise<void> {
    const released = await this.deps.inventory.release(request.productId, request.trackingId).catch((err) => {
      // Reconciliation finds the orphan and gives it back.
      this.deps.logger.warn({ err, trackingId: request.trackingId }, 'reservation not given back');
      return undefined;
    });
    if (released?.outcome !== 'RELEASED') return;
    const { available, version } = released;
    await this.deps.publisher
      .publish({ productId: request.productId, available, version, ts: Date.now() })
      .catch((err) => this.deps.logger.warn({ err, productId: request.productId }, 'stock broadcast failed'));
  }

  /**
   * A purchase as its owner (or an admin) may see it, from its record in
   * Redis; with `waitMs`, once it has ended or after that long. A record that
   * is missing, or PENDING for longer than a purchase takes, is checked with
   * Temporal. Someone else's purchase is as unknown as a missing one.
   */
  async view(trackingId: string, principal: Principal, waitMs = 0): Promise<PurchaseView> {
    const mayRead = (record: PurchaseRecord) => record.userId === principal.userId || principal.isAdmin;
    let record = await this.deps.outcomes.read(trackingId).catch(() => undefined);
    if (record && !mayRead(record)) throw new AppError('PURCHASE_NOT_FOUND');
    if (record?.status === 'PENDING' && waitMs > 0) {
      record = (await this.deps.outcomes.settled(trackingId, waitMs).catch(() => undefined)) ?? record;
    }
    if (record && !(record.status === 'PENDING' && Date.now() - record.at > STALE_PENDING_MS)) return viewOf(record);
    return this.describe(trackingId, principal, record);
  }

  private isHeld({ productId, trackingId }: PurchaseRecord): Promise<boolean> {
    return this.deps.inventory.isHeld(productId, trackingId).catch(() => false);
  }

  /**
   * Reads a purchase from Temporal with describe (strongly consistent, and it
   * answers with every worker down), then the result once it has one. A
   * PENDING record with no workflow whose units are still held is a purchase
   * whose API stopped before its start: it stays PENDING until reconciliation
   * starts it. Without held units (its start failed and they went back, the
   * buyer told 503) it is not found.
   */
  private async describe(trackingId: string, principal: Principal, record?: PurchaseRecord): Promise<PurchaseView> {
    const handle = this.deps.temporal.workflow.getHandle<typeof purchase>(workflowIdFor(trackingId));
    const description = await handle.describe().catch((err) => {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw temporalUnavailable(err, trackingId);
    });
    if (!description && record && (await this.isHeld(record))) return viewOf(record);
    const memo = (description?.memo ?? {}) as PurchaseMemo;
    if (!description || (memo.userId !== principal.userId && !principal.isAdmin)) {
      throw new AppError('PURCHASE_NOT_FOUND');
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
}

function requestView({ trackingId, productId, quantity }: PurchaseRequest): PurchaseView {
  return { trackingId, productId, quantity, status: 'PENDING' };
}

function viewOf({ trackingId, status, productId, quantity, orderId, reason }: PurchaseRecord): PurchaseView {
  return {
    trackingId,
    status,
    productId,
    quantity,
    ...(orderId === undefined ? {} : { orderId }),
    ...(reason ? { reason } : {}),
  };
}
