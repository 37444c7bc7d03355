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

/**
 * Runs `work` in one transaction: committed when it returns, rolled back when
 * it throws. Aborting `signal` closes the connection, which rolls back whatever
 * it had not committed yet, and the call rejects.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  signal?.throwIfAborted();
  const client = await pool.connect();
  let closed = false;
  const close = () => {
    closed = true;
    client.release(new Error('transaction aborted'));
  };
  signal?.addEventListener('abort', close, { once: true });
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    if (!closed) await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    signal?.removeEventListener('abort', close);
    if (!closed) client.release();
  }
}

/**
 * Runs `work` holding a PostgreSQL advisory lock named `name`, on a connection
 * of its own, released when `work` settles (or with the connection, if the
 * process dies). Serializes work across every process that shares the database.
 */
export async function withAdvisoryLock<T>(pool: pg.Pool, name: string, work: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [name]);
  } catch (err) {
    client.release(err as Error);
    throw err;
  }
  try {
    return await work();
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [name]).then(
      () => client.release(),
      (err: Error) => client.release(err),
    );
  }
}
