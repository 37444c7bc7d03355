import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { Config } from '../../config';

export type TokenConfig = Pick<
  Config,
  'JWT_SECRET' | 'JWT_JWKS_URL' | 'JWT_ISSUER' | 'JWT_AUDIENCE' | 'JWT_CLOCK_TOLERANCE_S'
>;

/** Checks a token's signature and claims; rejects with a jose error when it is not acceptable. */
export type VerifyToken = (token: string) => Promise<JWTPayload>;

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
  };
  if (config.JWT_JWKS_URL) {
    // Fetched on first use and cached; a token with an unknown `kid` refreshes it (rate-limited by jose).
    const keySet = createRemoteJWKSet(new URL(config.JWT_JWKS_URL));
    return async (token) => (await jwtVerify(token, keySet, { ...claims, algorithms: ['RS256'] })).payload;
  }
  const secret = new TextEncoder().encode(config.JWT_SECRET);
  return async (token) => (await jwtVerify(token, secret, { ...claims, algorithms: ['HS256'] })).payload;
}
