/** Signs PulseCart tokens the way the API verifies them: HS256 with JWT_SECRET, `sub` the user, `roles` a list. */
import { SignJWT } from 'jose';

export interface TokenOptions {
  roles?: string[];
  /** A jose time span ('1h', '1d') or seconds. */
  expiresIn?: string | number;
}

export function signToken(secret: string, userId: string, { roles = [], expiresIn = '1h' }: TokenOptions = {}) {
  return new SignJWT({ roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}
