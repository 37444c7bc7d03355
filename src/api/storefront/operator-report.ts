import type { Pool } from 'pg';
import { AppError } from '../../domain/errors';
import { workflowIdFor } from '../../domain/purchase';
import type { Inventory } from '../../inventory/inventory';
import type { ProductStock, RecentOrder } from './operator-types';

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
    const product = await this.deps.pool.query('SELECT 1 FROM product WHERE id = $1', [productId]);
    if (product.rowCount === 0) throw new AppError('PRODUCT_NOT_FOUND');
    const { rows } = await this.deps.pool.query<Omit<RecentOrder, 'workflowUrl'>>(
      `SELECT id AS "orderId", tracking_id AS "trackingId", user_id AS "userId", quantity, created_at AS "createdAt"
       FROM orders WHERE product_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
      [productId, limit],
    );
    return rows.map((row) => ({ ...row, workflowUrl: this.workflowUrl(row.trackingId) }));
  }

  private workflowUrl(trackingId: string): string {
    const { temporalUiUrl, namespace } = this.deps;
    const base = temporalUiUrl.replace(/\/+$/, '');
    return `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${workflowIdFor(trackingId)}`;
  }
}
