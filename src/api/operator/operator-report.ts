import type { Pool } from 'pg';
import { inTransaction } from '../../clients/postgres';
import { AppError } from '../../domain/errors';
import { workflowIdFor } from '../../domain/purchase';
import type { Inventory } from '../../inventory/inventory';
import type { ProductStock, RecentOrder, SaleReport, SaleSecond } from './operator-types';

export interface OperatorReportDeps {
  pool: Pool;
  inventory: Inventory;
  temporalUiUrl: string;
  namespace: string;
}

/** What the operator view shows: stock on both sides of the gate, and who bought. */
export class OperatorReport {
  constructor(private readonly deps: OperatorReportDeps) {}

  /** The newest products first, each with PostgreSQL's stock beside Redis' available units. */
  async products(limit: number): Promise<ProductStock[]> {
    const { rows } = await this.deps.pool.query<Omit<ProductStock, 'available'>>(
      `SELECT p.id, p.name, p.price, p.max_per_user AS "maxPerUser", p.stock_quantity AS stock,
              COALESCE((SELECT SUM(o.quantity) FROM orders o WHERE o.product_id = p.id), 0)::int AS "soldUnits"
       FROM product p ORDER BY p.id DESC LIMIT $1`,
      [limit],
    );
    const snapshots = await Promise.all(rows.map((row) => this.deps.inventory.snapshot(row.id)));
    return rows.map((row, i) => ({ ...row, available: snapshots[i]?.available ?? null }));
  }

  async recentOrders(productId: number, limit: number): Promise<RecentOrder[]> {
    await this.stockOf(productId);
    const { rows } = await this.deps.pool.query<Omit<RecentOrder, 'workflowUrl'>>(
      `SELECT id AS "orderId", tracking_id AS "trackingId", user_id AS "userId", quantity, created_at AS "createdAt"
       FROM orders WHERE product_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
      [productId, limit],
    );
    return rows.map((row) => ({ ...row, workflowUrl: this.workflowUrl(row.trackingId) }));
  }

  /**
   * The sale of a product, all from its orders in one snapshot, so that the
   * totals, the timeline and the stock agree. Sell-through time is what the
   * workers' pulsecart_sell_through_seconds gauge is set to when the last unit
   * sells (both measure first order to last order).
   */
  async sale(productId: number, seconds: number): Promise<SaleReport> {
    return inTransaction(this.deps.pool, async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const stock = await this.stockOf(productId, client);
      const totals = await client.query<{ orders: number; units: number; revenue: string; span: number | null }>(
        `SELECT COUNT(*)::int AS orders, COALESCE(SUM(quantity), 0)::int AS units,
                COALESCE(SUM(unit_price * quantity), 0)::text AS revenue,
                EXTRACT(EPOCH FROM MAX(created_at) - MIN(created_at))::float8 AS span
         FROM orders WHERE product_id = $1`,
        [productId],
      );
      const perSecond = await client.query<Omit<SaleSecond, 'stock'>>(
        `SELECT to_char(date_trunc('second', created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS at,
                COUNT(*)::int AS orders, SUM(quantity)::int AS units
         FROM orders WHERE product_id = $1 GROUP BY 1 ORDER BY 1 DESC LIMIT $2`,
        [productId, seconds],
      );
      const { orders, units, revenue, span } = totals.rows[0];
      return {
        productId,
        stock,
        orders,
        units,
        revenue: Number(revenue),
        sellThroughSeconds: stock === 0 && span !== null ? span : null,
        timeline: stockAfterEachSecond(stock, perSecond.rows),
      };
    });
  }

  private async stockOf(productId: number, db: Pick<Pool, 'query'> = this.deps.pool): Promise<number> {
    const product = await db.query<{ stock: number }>('SELECT stock_quantity AS stock FROM product WHERE id = $1', [
      productId,
    ]);
    if (product.rowCount === 0) throw new AppError('PRODUCT_NOT_FOUND');
    return product.rows[0].stock;
  }

  private workflowUrl(trackingId: string): string {
    const { temporalUiUrl, namespace } = this.deps;
    const base = temporalUiUrl.replace(/\/+$/, '');
    return `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${workflowIdFor(trackingId)}`;
  }
}

/** Newest first in, oldest first out: walking back in time, each second's units go back on the stock. */
function stockAfterEachSecond(stockNow: number, newestFirst: Omit<SaleSecond, 'stock'>[]): SaleSecond[] {
  let stock = stockNow;
  const timeline = newestFirst.map((second) => {
    const point = { ...second, stock };
    stock += second.units;
    return point;
  });
  return timeline.reverse();
}
