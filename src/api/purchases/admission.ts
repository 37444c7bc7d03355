import { AppError, rejectionMessages } from '../../domain/errors';
import type { Inventory, Reservation, ReserveOutcome } from '../../inventory/inventory';
import type { ApiMetrics } from '../metrics';

/**
 * Decides who gets a workflow. The reservation itself is the gate: one atomic
 * Redis script takes the units (keyed by tracking id, so the workflow's own
 * reserve step finds them held), and a buyer who cannot get stock is answered
 * here without a workflow. Once Redis says "sold out", this process answers
 * the crowd from memory for a short while without touching Redis at all.
 */
export interface MissingStock {
  /** Whether PostgreSQL knows the product that Redis does not. */
  productExists(productId: number): Promise<boolean>;
  /** Asks for the product's hot stock to be rebuilt (reconciliation). */
  requestRebuild(productId: number): Promise<void>;
}

export class AdmissionGate {
  private readonly soldOutUntil = new Map<number, number>();

  constructor(
    private readonly inventory: Inventory,
    private readonly metrics: ApiMetrics,
    private readonly soldOutCacheMs: number,
    private readonly missingStock: MissingStock,
  ) {}

  /** Returns how the reservation stands, or throws the 404/409 the buyer gets. */
  async admit(reservation: Reservation, { useSoldOutCache }: { useSoldOutCache: boolean }): Promise<ReserveOutcome> {
    if (useSoldOutCache && (this.soldOutUntil.get(reservation.productId) ?? 0) > Date.now()) {
      return this.reject('SOLD_OUT');
    }
    const { outcome } = await this.inventory.reserve(reservation).catch((err) => {
      throw new AppError('STOCK_UNAVAILABLE', 'Stock cannot be checked right now; please retry.', 503, undefined, {
        cause: err,
      });
    });
    switch (outcome) {
      case 'RESERVED':
      case 'HELD':
      case 'RELEASED':
        return outcome;
      case 'SOLD_OUT':
        this.soldOutUntil.set(reservation.productId, Date.now() + this.soldOutCacheMs);
        return this.reject(outcome);
      case 'PRODUCT_NOT_FOUND':
        return this.productMissing(reservation.productId);
      default:
        return this.reject(outcome);
    }
  }

  /**
   * Redis does not know the product. If PostgreSQL does, Redis lost its data:
   * the gate stays closed for this product until reconciliation rebuilt it.
   */
  private async productMissing(productId: number): Promise<never> {
    if (!(await this.missingStock.productExists(productId))) return this.reject('PRODUCT_NOT_FOUND');
    this.metrics.admissionRejections.inc({ reason: 'STOCK_UNAVAILABLE' });
    await this.missingStock.requestRebuild(productId);
    throw new AppError('STOCK_UNAVAILABLE', 'Stock for this product is being reloaded; please retry in a moment.', 503);
  }

  private reject(reason: Exclude<ReserveOutcome, 'RESERVED' | 'HELD' | 'RELEASED'>): never {
    this.metrics.admissionRejections.inc({ reason });
    if (reason === 'PRODUCT_NOT_FOUND') throw new AppError(reason, rejectionMessages[reason], 404);
    throw new AppError(reason, rejectionMessages[reason], 409);
  }
}
