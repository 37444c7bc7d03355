/** Signs PulseCart tokens the way the API verifies them: HS256 with JWT_SECRET, `sub` the user, `roles` a list. */
import { SignJWT } from 'jose';

export interface TokenOptions {
  roles?: string[];
  /** A jose time span ('1h', '1d') or seconds. */
  expiresIn?: string | number;
}

/** `secret` is config.JWT_SECRET, which only a deployment that takes RS256 tokens from JWT_JWKS_URL lacks. */
export async function signToken(
  secret: string | undefined,
  userId: string,
  { roles = [], expiresIn = '1h' }: TokenOptions = {},
) {
  if (!secret) throw new Error('No JWT_SECRET: with JWT_JWKS_URL set, tokens come from that identity provider');
  return new SignJWT({ roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}
