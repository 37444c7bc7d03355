import { AppError } from '../../domain/errors';
import type { RejectionReason } from '../../domain/purchase';
import type { Inventory, Reservation } from '../../inventory/inventory';

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

/** RESERVED: taken just now; HELD: this tracking id held them already (a repeat of the same request). */
export type Admission = 'RESERVED' | 'HELD';

export class AdmissionGate {
  private readonly soldOutUntil = new Map<number, number>();

  constructor(
    private readonly inventory: Inventory,
    private readonly soldOutCacheMs: number,
    private readonly missingStock: MissingStock,
  ) {}

  /** Whether Redis said "sold out" for this product within the last SOLD_OUT_CACHE_MS: no need to ask it again. */
  knowsSoldOut(productId: number): boolean {
    return (this.soldOutUntil.get(productId) ?? 0) > Date.now();
  }

  /** Returns how the reservation stands, or throws the 404/409/422/503 the buyer gets. */
  async admit(reservation: Reservation): Promise<Admission> {
    const { outcome } = await this.inventory.reserve(reservation).catch((err) => {
      throw new AppError('STOCK_UNAVAILABLE', { cause: err });
    });
    switch (outcome) {
      case 'RESERVED':
      case 'HELD':
        return outcome;
      case 'SOLD_OUT':
        this.soldOutUntil.set(reservation.productId, Date.now() + this.soldOutCacheMs);
        return reject(outcome);
      case 'PRODUCT_NOT_FOUND':
        return this.productMissing(reservation.productId);
      default:
        return reject(outcome);
    }
  }

  /**
   * Redis does not know the product. If PostgreSQL does, Redis lost its data:
   * the gate stays closed for this product until reconciliation rebuilt it.
   */
  private async productMissing(productId: number): Promise<never> {
    if (!(await this.missingStock.productExists(productId))) return reject('PRODUCT_NOT_FOUND');
    await this.missingStock.requestRebuild(productId);
    throw new AppError('STOCK_UNAVAILABLE');
  }
}

/** The error a buyer gets for a purchase turned down, at the gate or by its workflow. */
export function rejection(reason: RejectionReason, details?: unknown): AppError {
  return new AppError(reason, { details });
}

function reject(reason: RejectionReason): never {
  throw rejection(reason);
}
