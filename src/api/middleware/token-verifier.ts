import { createSecretKey } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { LRUCache } from 'lru-cache';
import { MISSING_SECRET, type Config } from '../../config';

export type TokenConfig = Pick<
  Config,
  'JWT_SECRET' | 'JWT_JWKS_URL' | 'JWT_ISSUER' | 'JWT_AUDIENCE' | 'JWT_CLOCK_TOLERANCE_S'
>;

/** The user id is stored with each order (orders.user_id is VARCHAR(128)): a longer one could never buy. */
const MAX_SUBJECT_LENGTH = 128;

/** What a verified token says: its claims, with the user id in `sub`. */
type Verified = JWTPayload & { sub: string };

/** Checks a token's signature and claims; rejects with a jose error when it is not acceptable. */
export type VerifyToken = (token: string) => Promise<Verified>;

/**
 * One algorithm per deployment, never the one the token names: RS256 against
 * the identity provider's key set when JWT_JWKS_URL is set, otherwise HS256
 * with JWT_SECRET. Pinning it is what stops an HS256 token "signed" with the
 * public key, or an `alg: none` one, from passing.
 */
export function tokenVerifier(config: TokenConfig): VerifyToken {
  const claims: JWTVerifyOptions = {
    clockTolerance: config.JWT_CLOCK_TOLERANCE_S,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    // Without exp a token is good forever: one that leaks can never be taken back.
    requiredClaims: ['exp', 'sub'],
  };
  if (config.JWT_JWKS_URL) {
    // Fetched on first use and cached; a token with an unknown `kid` refreshes it (rate-limited by jose).
    const keySet = createRemoteJWKSet(new URL(config.JWT_JWKS_URL));
    return remembered(async (token) =>
      withSubject((await jwtVerify(token, keySet, { ...claims, algorithms: ['RS256'] })).payload),
    );
  }
  if (!config.JWT_SECRET) throw new Error(`Invalid configuration: JWT_SECRET: ${MISSING_SECRET}`);
  // A key object made once: given bytes, jose makes one per verification (a fifth of its cost here).
  const secret = createSecretKey(Buffer.from(config.JWT_SECRET, 'utf8'));
  return remembered(async (token) =>
    withSubject((await jwtVerify(token, secret, { ...claims, algorithms: ['HS256'] })).payload),
  );
}

/** How many verified tokens each process remembers; past it, the least recently used are forgotten first. */
const REMEMBERED_TOKENS = 20_000;

/**
 * Remembers each verified token, by its whole text, until its `exp`. A buyer
 * sends the same token with every attempt and every poll, and checking its
 * signature costs more than the rest of a sold-out answer. A token refused
 * once is checked again next time (and refused again): only successes are kept.
 * An LRU cache with a time to live per entry and no timers: a Map evicted from
 * its front, as before, had to skip every deleted entry to find its first one,
 * and in a sale that scan was 4% of the API's CPU.
 */
function remembered(verify: VerifyToken): VerifyToken {
  const verified = new LRUCache<string, Verified>({ max: REMEMBERED_TOKENS, ttlAutopurge: false });
  return async (token) => {
    const known = verified.get(token);
    if (known) return known;
    const payload = await verify(token);
    const ttl = (payload.exp ?? 0) * 1000 - Date.now();
    if (ttl > 0) verified.set(token, payload, { ttl });
    return payload;
  };
}

/** Refused here, before the purchase reserves anything, rather than at commit after taking units. */
function withSubject(payload: JWTPayload): Verified {
  const { sub } = payload;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUBJECT_LENGTH) {
    throw new errors.JWTClaimValidationFailed(
      `"sub" claim must be a user id of 1 to ${MAX_SUBJECT_LENGTH} characters`,
      payload,
      'sub',
      'invalid',
    );
  }
  return { ...payload, sub };
}
