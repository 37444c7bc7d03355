/**
 * The payload keys of a machine without PAYLOAD_KEYS: like the JWT secret
 * (tools/signing-secret.ts), the API and worker refuse to start without them,
 * and the set-up takes them from the data folder instead, so that what the
 * API encrypts into Temporal the worker decrypts, across restarts.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { dataFolderSecret } from './signing-secret';

export const DATA_FOLDER_PAYLOAD_KEYS = path.resolve(__dirname, '..', '.data', 'payload-keys');

/** One AES-256 key in PAYLOAD_KEYS' `id:base64key` form; the id says when it was made, for whoever rotates it. */
export function newPayloadKey(now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  return `${day}-${randomBytes(3).toString('hex')}:${randomBytes(32).toString('base64')}`;
}

/** The data folder's PAYLOAD_KEYS, made first when there are none; never replaced. */
export function dataFolderPayloadKeys(file = DATA_FOLDER_PAYLOAD_KEYS): { secret: string; created: boolean } {
  return dataFolderSecret(file, () => newPayloadKey());
}

/**
 * Sets `env.PAYLOAD_KEYS` to the data folder's keys when it is unset; answers, when it did, whether they were
 * made now.
 */
export function useDataFolderPayloadKeys(env: NodeJS.ProcessEnv = process.env): { created: boolean } | undefined {
  if (env.PAYLOAD_KEYS) return undefined;
  const { secret, created } = dataFolderPayloadKeys();
  env.PAYLOAD_KEYS = secret;
  return { created };
}
