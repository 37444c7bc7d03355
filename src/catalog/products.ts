/**
 * Products in PostgreSQL (the truth) kept in step with their hot state in
 * Redis (the gate). Admin writes go to PostgreSQL first, then Redis.
 */
import type { Pool, PoolClient } from 'pg';
import { inTransaction, withAdvisoryLock } from '../clients/postgres';
import { AppError } from '../domain/errors';
import { stockLockName, type Inventory, type StockSnapshot } from '../inventory/inventory';
import { recordAdminAction, type AdminActor } from './audit-log';

export interface Product {
  id: number;
  name: string;
  price: number;
  stock: number;
  maxPerUser: number;
}

export type ProductView = Product & { available: number | null };

export interface NewProduct {
  id?: number;
  name: string;
  price: number;
  stock: number;
  maxPerUser: number;
}

const COLUMNS = 'id, name, price, stock_quantity AS stock, max_per_user AS "maxPerUser"';
const UNIQUE_VIOLATION = '23505';

export interface CatalogDeps {
  pool: Pool;
  inventory: Inventory;
  /** Asks reconciliation to bring Redis in line with PostgreSQL for this product soon (a rebuild if it lost it). */
  requestReconciliation: (productId: number) => Promise<void>;
}

/** A product change and, when Redis took it, the stock it holds now (for subscribers). */
export interface ProductChange {
  product: Product;
  snapshot?: StockSnapshot;
}

export class Catalog {
  constructor(private readonly deps: CatalogDeps) {}

  /** Inserts the product and its audit record in one transaction, then opens its stock in Redis. */
  async create(product: NewProduct, actor: AdminActor): Promise<ProductChange> {
    const created = await inTransaction(this.deps.pool, async (client) => {
      const row = await insertProduct(client, product);
      await recordAdminAction(client, actor, { action: 'product.create', productId: row.id, before: null, after: row });
      return row;
    });
    const snapshot = await this.deps.inventory.load(created.id, created.stock, created.maxPerUser);
    return { product: created, snapshot };
  }

  /**
   * Sets the stock; Redis moves by the same difference so reservations in
   * flight keep their units. Holds the product's stock lock from the
   * PostgreSQL commit to the Redis adjust, so that a reconciliation snapshot
   * never falls between them. When Redis does not hold the product (it lost
   * its data, or is out of reach), nothing is written there: reconciliation
   * rebuilds it from PostgreSQL, this restock included.
   */
  async restock(id: number, stock: number, actor: AdminActor): Promise<ProductChange> {
    const change = await withAdvisoryLock(this.deps.pool, stockLockName(id), async () => {
      const product = await this.setStock(id, stock, actor);
      const snapshot = await this.deps.inventory.adjust(id, product.stock - product.previous).catch(() => undefined);
      return { product: product.after, snapshot };
    });
    // The minute schedule would get there too: a Temporal hiccup here must not fail a committed restock.
    if (!change.snapshot) await this.deps.requestReconciliation(id).catch(() => undefined);
    return change;
  }

  private async setStock(id: number, stock: number, actor: AdminActor) {
    return inTransaction(this.deps.pool, async (client) => {
      const locked = await client.query<Product>(`SELECT ${COLUMNS} FROM product WHERE id = $1 FOR UPDATE`, [id]);
      if (locked.rowCount === 0) throw new AppError('PRODUCT_NOT_FOUND');
      const updated = await client.query<Product>(
        `UPDATE product SET stock_quantity = $2, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, stock],
      );
      const [before, after] = [locked.rows[0], updated.rows[0]];
      await recordAdminAction(client, actor, { action: 'product.restock', productId: id, before, after });
      return { after, stock: after.stock, previous: before.stock };
    });
  }

  async exists(id: number): Promise<boolean> {
    const found = await this.deps.pool.query('SELECT 1 FROM product WHERE id = $1', [id]);
    return (found.rowCount ?? 0) > 0;
  }

  async find(id: number): Promise<ProductView> {
    const found = await this.deps.pool.query<Product>(`SELECT ${COLUMNS} FROM product WHERE id = $1`, [id]);
    if (found.rowCount === 0) throw new AppError('PRODUCT_NOT_FOUND');
    return this.withAvailable(found.rows[0]);
  }

  /**
   * Up to `limit` products, newest first, older than `before` when given.
   * `lastShown` is set when more follow: the next page is what is before it.
   */
  async page(limit: number, before?: number): Promise<{ products: ProductView[]; lastShown?: number }> {
    // One more than shown, to know whether another page exists without counting the table.
    const { rows } = await this.deps.pool.query<Product>(
      `SELECT ${COLUMNS} FROM product WHERE $1::bigint IS NULL OR id < $1 ORDER BY id DESC LIMIT $2`,
      [before ?? null, limit + 1],
    );
    const shown = rows.slice(0, limit);
    const products = await Promise.all(shown.map((product) => this.withAvailable(product)));
    return { products, lastShown: rows.length > limit ? shown[shown.length - 1].id : undefined };
  }

  /** PostgreSQL's row beside the units Redis still lets buyers reserve (null when Redis does not hold it). */
  private async withAvailable(product: Product): Promise<ProductView> {
    const snapshot = await this.deps.inventory.snapshot(product.id);
    return { ...product, available: snapshot?.available ?? null };
  }
}

async function insertProduct(client: PoolClient, product: NewProduct): Promise<Product> {
  const inserted = await client
    .query<Product>(
      `INSERT INTO product (id, name, price, stock_quantity, max_per_user)
       OVERRIDING SYSTEM VALUE
       VALUES (COALESCE($1, nextval(pg_get_serial_sequence('product', 'id'))), $2, $3, $4, $5)
       RETURNING ${COLUMNS}`,
      [product.id ?? null, product.name, product.price, product.stock, product.maxPerUser],
    )
    .catch((err: { code?: string }) => {
      if (err.code === UNIQUE_VIOLATION) throw new AppError('PRODUCT_EXISTS');
      throw err;
    });
  // An explicit id does not move the identity sequence: move it past the id, so
  // that a later product without one never collides with it.
  if (product.id !== undefined) {
    await client.query(
      `SELECT setval(seq, GREATEST($1::bigint, nextval(seq))) FROM pg_get_serial_sequence('product', 'id') AS seq`,
      [product.id],
    );
  }
  return inserted.rows[0];
}
