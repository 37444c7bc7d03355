import type { RedisClient } from '../../clients/redis';
import type { Pool } from 'pg';
import type { PurchaseRequest } from '../../domain/purchase';
import { rejection } from './admission';

type RequestBody = Pick<PurchaseRequest, 'trackingId' | 'productId' | 'quantity'>;

/**
 * Which request an Idempotency-Key (its tracking id) was first used for, so
 * that the same key with another body is refused (the IETF Idempotency-Key
 * draft) before it reserves anything. A cache in Redis for `ttlSeconds`: the
 * truth is the memo of the key's purchase workflow, which the first request
 * creates (workflow ids are unique), and whatever it says is written here.
 * When Redis has lost the key, the key's order in PostgreSQL answers for it.
 */
export class IdempotencyKeys {
  constructor(
    private readonly redis: RedisClient,
    private readonly pool: Pool,
    private readonly ttlSeconds: number,
  ) {}

  /**
   * Throws 422 IDEMPOTENCY_KEY_REUSED when the key is known to belong to another request; resolves with whether
   * the key is known at all (false: a new key, or one whose purchase Redis forgot and that has no order yet).
   */
  async check(request: RequestBody): Promise<boolean> {
    // Redis out of reach: PostgreSQL answers here, and the admission gate after this says 503.
    const cached = await this.redis.get(keyOf(request)).catch(() => null);
    const known = cached ?? (await this.orderedBody(request.trackingId));
    if (known !== undefined && known !== bodyOf(request)) throw rejection('IDEMPOTENCY_KEY_REUSED');
    return known !== undefined;
  }

  /** The body of the key's confirmed purchase: a primary-key lookup, only for keys Redis does not know. */
  private async orderedBody(trackingId: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<RequestBody>(
      'SELECT tracking_id AS "trackingId", product_id AS "productId", quantity FROM orders WHERE tracking_id = $1',
      [trackingId],
    );
    return rows.length === 0 ? undefined : bodyOf(rows[0]);
  }

  /** Records the request the key's workflow was started for. */
  async remember(request: RequestBody): Promise<void> {
    await this.redis.set(keyOf(request), bodyOf(request), 'EX', this.ttlSeconds);
  }
}

const keyOf = ({ trackingId }: RequestBody) => `pulsecart:idempotency:${trackingId}`;
const bodyOf = ({ productId, quantity }: RequestBody) => `${productId}:${quantity}`;
