/**
 * API keys for other systems (a warehouse restocking, reading orders): made
 * and revoked by administrators, stored as scrypt hashes, scoped, expiring.
 */
import type { Pool } from 'pg';
import { inTransaction } from '../clients/postgres';
import { recordAdminAction, type AdminActor } from '../catalog/audit-log';
import { AppError } from '../domain/errors';
import { issueSecret, parseSecret, secretMatches } from './secret';

/** What a key may call: `stock:write` the restock route, `orders:read` a product's orders. */
export const API_KEY_SCOPES = ['stock:write', 'orders:read'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** The messages of the codes this feature adds, beside those of domain/errors.ts. */
export interface NewApiKey {
  name: string;
  scopes: ApiKeyScope[];
  expiresAt: Date;
}

export interface ApiKey {
  id: string;
  name: string;
  scopes: ApiKeyScope[];
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

/** The key a call proved it holds. */
export interface VerifiedApiKey {
  id: string;
  scopes: ApiKeyScope[];
}

const COLUMNS = `id, name, scopes, created_by AS "createdBy", created_at AS "createdAt",
  expires_at AS "expiresAt", revoked_at AS "revokedAt"`;

/** One message for a key we do not have and a secret that does not match: neither tells a guesser more. */
const notValid = () => new AppError('UNAUTHENTICATED', { message: 'The API key is not valid' });

export class ApiKeys {
  constructor(private readonly pool: Pool) {}

  /** Stores the key's hash and its audit record in one transaction; the secret is returned, never kept. */
  async create(key: NewApiKey, actor: AdminActor): Promise<{ key: ApiKey; secret: string }> {
    const issued = await issueSecret();
    const created = await inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<ApiKey>(
        `INSERT INTO api_keys (id, name, scopes, salt, secret_hash, created_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
        [issued.id, key.name, key.scopes, issued.salt, issued.hash, actor.userId, key.expiresAt],
      );
      await recordAdminAction(client, actor, {
        action: 'api-key.create',
        productId: null,
        before: null,
        after: rows[0],
      });
      return rows[0];
    });
    return { key: created, secret: issued.secret };
  }

  /** Revoking twice keeps the first time; only an unknown key is an error. */
  async revoke(id: string, actor: AdminActor): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      const locked = await client.query<ApiKey>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1 FOR UPDATE`, [id]);
      if (locked.rowCount === 0) throw new AppError('API_KEY_NOT_FOUND');
      const before = locked.rows[0];
      if (before.revokedAt) return;
      const { rows } = await client.query<ApiKey>(
        `UPDATE api_keys SET revoked_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
        [id],
      );
      await recordAdminAction(client, actor, { action: 'api-key.revoke', productId: null, before, after: rows[0] });
    });
  }

  /**
   * The key `presented` is the secret of, or a 401. Revoked and expired are said
   * only once the secret matched: by then the caller holds the key anyway.
   */
  async verify(presented: string): Promise<VerifiedApiKey> {
    const parsed = parseSecret(presented);
    if (!parsed) throw notValid();
    const { rows } = await this.pool.query<{
      scopes: ApiKeyScope[];
      salt: Buffer;
      hash: Buffer;
      revoked: boolean;
      expired: boolean;
    }>(
      `SELECT scopes, salt, secret_hash AS hash, revoked_at IS NOT NULL AS revoked, expires_at <= now() AS expired
       FROM api_keys WHERE id = $1`,
      [parsed.id],
    );
    const key = rows[0];
    if (!key || !(await secretMatches(parsed.secretPart, key.salt, key.hash))) throw notValid();
    if (key.revoked) throw new AppError('UNAUTHENTICATED', { message: 'The API key has been revoked' });
    if (key.expired) throw new AppError('UNAUTHENTICATED', { message: 'The API key has expired' });
    return { id: parsed.id, scopes: key.scopes };
  }

  /** Every call a key is let through for: which route, which product, by which request. */
  async recordUse(actor: AdminActor, use: { productId: number | null; method: string; path: string }): Promise<void> {
    const { productId, ...call } = use;
    await recordAdminAction(this.pool, actor, { action: 'api-key.use', productId, before: null, after: call });
  }
}
