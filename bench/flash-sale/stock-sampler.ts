/** Samples a product's stock straight from PostgreSQL (the truth) and Redis (the gate) while the sale runs. */
import type { RedisClient } from '../../src/clients/redis';
import type { Pool } from 'pg';
import { productKeys } from '../../src/inventory/inventory';

export interface StockSample {
  /** Ms after the sale opened. */
  t: number;
  postgres: number;
  redis: number;
}

export class StockSampler {
  readonly samples: StockSample[] = [];
  /** The newest Redis value, for the progress bar. */
  latestAvailable = Number.NaN;
  private timer?: NodeJS.Timeout;
  private sampling = false;

  constructor(
    private readonly pool: Pool,
    private readonly redis: RedisClient,
    private readonly productId: number,
    private readonly now: () => number,
  ) {}

  /** A tick that PostgreSQL or Redis cannot answer (a fault under test) is skipped; the next one samples again. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.sample().catch(() => undefined), intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sample();
  }

  /** One sample at a time: a slow database under load skips ticks rather than piling queries up. */
  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const t = this.now();
      const [product, available] = await Promise.all([
        this.pool.query<{ stock: number }>('SELECT stock_quantity AS stock FROM product WHERE id = $1', [
          this.productId,
        ]),
        this.redis.hget(productKeys(this.productId)[0], 'available'),
      ]);
      this.latestAvailable = Number(available);
      this.samples.push({ t, postgres: product.rows[0].stock, redis: this.latestAvailable });
    } finally {
      this.sampling = false;
    }
  }
}
