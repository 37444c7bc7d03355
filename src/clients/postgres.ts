import pg from 'pg';
import type { Config } from '../config';
import type { Logger } from '../logger';

// Ids are BIGINT and prices NUMERIC; both fit a JS number for this domain.
pg.types.setTypeParser(pg.types.builtins.INT8, Number);
pg.types.setTypeParser(pg.types.builtins.NUMERIC, Number);

export function createPool(
  config: Pick<Config, 'DATABASE_URL' | 'DATABASE_POOL_SIZE'>,
  logger?: Pick<Logger, 'warn'>,
): pg.Pool {
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_SIZE });
  // An idle connection the server dropped (restart, failover) is discarded by
  // the pool; without a listener the 'error' event would end the process.
  pool.on('error', (err) => logger?.warn({ err }, 'idle PostgreSQL connection lost'));
  // The same for a connection checked out between two queries (inside a
  // transaction): its query fails on its own, the event must not end the process.
  pool.on('connect', (client) => client.on('error', (err) => logger?.warn({ err }, 'PostgreSQL connection lost')));
  return pool;
}

/** Runs `work` in one transaction: committed when it returns, rolled back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
