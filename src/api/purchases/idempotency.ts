import type { Redis } from 'ioredis';
import type { PurchaseRequest } from '../../domain/purchase';
import { rejection } from './admission';

type RequestBody = Pick<PurchaseRequest, 'trackingId' | 'productId' | 'quantity'>;

/**
 * Which request an Idempotency-Key (its tracking id) was first used for, so
 * that the same key with another body is refused (the IETF Idempotency-Key
 * draft) before it reserves anything. A cache in Redis for `ttlSeconds`: the
 * truth is the memo of the key's purchase workflow, which the first request
 * creates (workflow ids are unique), and whatever it says is written here.
 */
export class IdempotencyKeys {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  /** Throws 422 IDEMPOTENCY_KEY_REUSED when the key is known to belong to another request. */
  async check(request: RequestBody): Promise<void> {
    const known = await this.redis.get(keyOf(request));
    if (known !== null && known !== bodyOf(request)) throw rejection('IDEMPOTENCY_KEY_REUSED');
  }

  /** Records the request the key's workflow was started for. */
  async remember(request: RequestBody): Promise<void> {
    await this.redis.set(keyOf(request), bodyOf(request), 'EX', this.ttlSeconds);
  }
}

const keyOf = ({ trackingId }: RequestBody) => `pulsecart:idempotency:${trackingId}`;
const bodyOf = ({ productId, quantity }: RequestBody) => `${productId}:${quantity}`;
