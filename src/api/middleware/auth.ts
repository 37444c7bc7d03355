import type { Context, Middleware } from 'koa';
import type { AdminActor } from '../../catalog/audit-log';
import { errors } from 'jose';
import { AppError } from '../../domain/errors';
import { requestIdOf } from './request-id';
import type { VerifyToken } from './token-verifier';

export interface Principal {
  userId: string;
  isAdmin: boolean;
}

declare module 'koa' {
  interface DefaultState {
    principal?: Principal;
  }
}

/** Accepts `Authorization: Bearer <JWT>` that `verify` accepts (see token-verifier.ts); `sub` is the user. */
export function authenticate(verify: VerifyToken): Middleware {
  return async (ctx, next) => {
    const [scheme, token] = (ctx.get('authorization') ?? '').split(' ');
    if (scheme !== 'Bearer' || !token) throw new AppError('UNAUTHENTICATED');
    try {
      const payload = await verify(token);
      const roles = Array.isArray(payload.roles) ? payload.roles : [];
      ctx.state.principal = { userId: payload.sub, isAdmin: roles.includes('admin') };
    } catch (err) {
      throw refusal(err);
    }
    await next();
  };
}

/** A bad token is the caller's 401; a key set we cannot fetch is our 503, so that good tokens are not called bad. */
function refusal(err: unknown): AppError {
  // Expired, or not valid: the caller learns whether a fresh token would do.
  if (err instanceof errors.JWTExpired) return new AppError('UNAUTHENTICATED', { message: 'The token has expired' });
  // Claims are checked only once the signature holds, so saying which one is wrong tells the caller nothing secret.
  if (err instanceof errors.JWTClaimValidationFailed) {
    return new AppError('UNAUTHENTICATED', { message: `The token is not valid: ${err.message}` });
  }
  if (err instanceof errors.JOSEError && !(err instanceof errors.JWKSTimeout)) {
    return new AppError('UNAUTHENTICATED', { message: 'The token is not valid' });
  }
  return new AppError('TEMPORARILY_UNAVAILABLE', {
    // Names the token check, so that the caller does not take its token for the problem.
    message: 'Tokens cannot be checked right now; please retry.',
    cause: err,
  });
}

export const requireAdmin: Middleware = async (ctx, next) => {
  if (!ctx.state.principal?.isAdmin) throw new AppError('FORBIDDEN');
  await next();
};

export function principalOf(state: { principal?: Principal }): Principal {
  if (!state.principal) throw new AppError('UNAUTHENTICATED');
  return state.principal;
}

/** Whom the audit log names for this request. */
export function actorOf(ctx: Context): AdminActor {
  return { userId: principalOf(ctx.state).userId, requestId: requestIdOf(ctx.state) };
}
