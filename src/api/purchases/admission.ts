import { AppError } from '../../domain/errors';
import type { RejectionReason } from '../../domain/purchase';
import type { Inventory, Reservation, ReserveOutcome } from '../../inventory/inventory';

/**
 * Decides who gets a workflow. The reservation itself is the gate: one atomic
 * Redis script takes the units (keyed by tracking id, so the workflow's own
 * reserve step finds them held), and a buyer who cannot get stock is answered
 * here without a workflow. Once Redis says "sold out", this process answers
 * the crowd from memory without touching Redis at all, and asks again with
 * one buyer's request per SOLD_OUT_CACHE_MS (see knowsSoldOut).
 */
export interface MissingStock {
  /** Whether PostgreSQL knows the product that Redis does not. */
  productExists(productId: number): Promise<boolean>;
  /** Asks for the product's hot stock to be rebuilt (reconciliation). */
  requestRebuild(productId: number): Promise<void>;
}

/** RESERVED: taken just now; HELD: this tracking id held them already (a repeat of the same request). */
export type Admission = 'RESERVED' | 'HELD';

const SAYS_NOTHING_OF_STOCK: ReadonlySet<ReserveOutcome> = new Set(['SOLD_OUT', 'HELD', 'IDEMPOTENCY_KEY_REUSED']);

export class AdmissionGate {
  private readonly soldOutUntil = new Map<number, number>();

  constructor(
    private readonly inventory: Inventory,
    private readonly soldOutCacheMs: number,
    private readonly missingStock: MissingStock,
  ) {}

  /**
   * Whether this request may be refused from memory: Redis said "sold out" for the product within the last
   * SOLD_OUT_CACHE_MS. When that has run out, this one request goes on to ask Redis (with its own reservation),
   * and the window starts again at once, so that the requests arriving meanwhile are refused from memory. When
   * every request arriving after the window asked Redis, a crowd sent a burst of reservations, rate-limit
   * counts and waits to Redis four times a second; under load each waited a loop turn or more, long enough to
   * be promoted to V8's old generation, and the API spent a third of its CPU collecting them.
   */
  knowsSoldOut(productId: number): boolean {
    const until = this.soldOutUntil.get(productId);
    if (until === undefined) return false;
    const now = Date.now();
    if (until > now) return true;
    this.soldOutUntil.set(productId, now + this.soldOutCacheMs);
    return false;
  }

  /** Returns how the reservation stands, or throws the 404/409/422/503 the buyer gets. */
  async admit(reservation: Reservation): Promise<Admission> {
    const { outcome } = await this.inventory.reserve(reservation).catch((err) => {
      throw new AppError('STOCK_UNAVAILABLE', { cause: err });
    });
    // A repeat (HELD) or a reused key says nothing of the stock; any other answer but "sold out" means Redis
    // may have units again, and the next requests ask it too.
    if (!SAYS_NOTHING_OF_STOCK.has(outcome)) this.soldOutUntil.delete(reservation.productId);
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
