/**
 * The signing secret of a machine without JWT_SECRET. The API and worker
 * refuse to start without one; `npm start`, `npm run token`, the benchmarks
 * and tools/scale-out.sh take this one from the data folder instead, so that
 * what one signs the others accept, and no secret is ever written in the code.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const DATA_FOLDER_SECRET = path.resolve(__dirname, '..', '.data', 'jwt-secret');

/**
 * The secret kept in `file`, made first by `make` (random, readable by its owner only) when there is none; never
 * replaced. Other secrets of the data folder (tools/payload-keys.ts) are kept the same way.
 */
export function dataFolderSecret(
  file = DATA_FOLDER_SECRET,
  make = () => randomBytes(32).toString('base64url'),
): { secret: string; created: boolean } {
  mkdirSync(path.dirname(file), { recursive: true });
  // Written aside then linked into place: a link never overwrites, and nobody reads a half-written secret.
  const draft = `${file}.${process.pid}.draft`;
  writeFileSync(draft, make(), { mode: 0o600 });
  let created = true;
  try {
    linkSync(draft, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    created = false;
  } finally {
    unlinkSync(draft);
  }
  return { secret: readFileSync(file, 'utf8').trim(), created };
}

/**
 * Sets `env.JWT_SECRET` to the data folder's secret when neither JWT_SECRET nor JWT_JWKS_URL is set;
 * answers, when it did, whether the secret was made now.
 */
export function useDataFolderSecret(env: NodeJS.ProcessEnv = process.env): { created: boolean } | undefined {
  if (env.JWT_SECRET || env.JWT_JWKS_URL) return undefined;
  const { secret, created } = dataFolderSecret();
  env.JWT_SECRET = secret;
  return { created };
}
