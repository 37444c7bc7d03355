/**
 * An API key's secret: `pck_<id>_<secret>`. The id is public and finds the
 * key's row; the secret part is 256 random bits, kept only as its scrypt hash
 * with a salt of the key's own.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const PREFIX = 'pck_';
const ID_BYTES = 8;
const SECRET_BYTES = 32;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/**
 * scrypt's interactive-login cost (N = 2^14, r = 8): about 16 MB and tens of ms
 * on libuv's thread pool per check, which makes a stolen table slow to attack
 * while a warehouse calling a few times a second does not notice.
 */
const COST: ScryptOptions = { N: 2 ** 14, r: 8, p: 1 };

/** The whole format, so that anything else is refused before the database is asked. */
const PRESENTED = /^pck_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface IssuedSecret {
  id: string;
  /** Shown once to the administrator, then forgotten. */
  secret: string;
  salt: Buffer;
  hash: Buffer;
}

export interface PresentedSecret {
  id: string;
  secretPart: string;
}

export async function issueSecret(): Promise<IssuedSecret> {
  const id = randomBytes(ID_BYTES).toString('hex');
  const secretPart = randomBytes(SECRET_BYTES).toString('base64url');
  const salt = randomBytes(SALT_BYTES);
  return { id, secret: `${PREFIX}${id}_${secretPart}`, salt, hash: await hashSecret(secretPart, salt) };
}

/** The key id and secret part of what a caller sent, or undefined when it cannot be a key of ours. */
export function parseSecret(presented: string): PresentedSecret | undefined {
  const match = PRESENTED.exec(presented);
  return match ? { id: match[1], secretPart: match[2] } : undefined;
}

/** Compares in constant time, so that the answer's timing says nothing of how much of a guess was right. */
export async function secretMatches(secretPart: string, salt: Buffer, hash: Buffer): Promise<boolean> {
  const presented = await hashSecret(secretPart, salt);
  return presented.length === hash.length && timingSafeEqual(presented, hash);
}

export function hashSecret(secretPart: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secretPart, salt, HASH_BYTES, COST, (err, key) => (err ? reject(err) : resolve(key))),
  );
}
