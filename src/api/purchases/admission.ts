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
export class AdmissionGate {
  private readonly soldOutUntil = new Map<number, number>();

  constructor(
    private readonly inventory: Inventory,
    private readonly metrics: ApiMetrics,
    private readonly soldOutCacheMs: number,
  ) {}

  /** Returns how the reservation stands, or throws the 404/409 the buyer gets. */
  async admit(reservation: Reservation, { useSoldOutCache }: { useSoldOutCache: boolean }): Promise<ReserveOutcome> {
    if (useSoldOutCache && (this.soldOutUntil.get(reservation.productId) ?? 0) > Date.now()) {
      return this.reject('SOLD_OUT');
    }
    const { outcome } = await this.inventory.reserve(reservation);
    switch (outcome) {
      case 'RESERVED':
      case 'HELD':
      case 'RELEASED':
        return outcome;
      case 'SOLD_OUT':
        this.soldOutUntil.set(reservation.productId, Date.now() + this.soldOutCacheMs);
        return this.reject(outcome);
      default:
        return this.reject(outcome);
    }
  }

  private reject(reason: Exclude<ReserveOutcome, 'RESERVED' | 'HELD' | 'RELEASED'>): never {
    this.metrics.admissionRejections.inc({ reason });
    if (reason === 'PRODUCT_NOT_FOUND') throw new AppError(reason, rejectionMessages[reason], 404);
    throw new AppError(reason, rejectionMessages[reason], 409);
  }
}
