import type { Middleware } from 'koa';
import { errors, jwtVerify } from 'jose';
import { AppError } from '../../domain/errors';

export interface Principal {
  userId: string;
  isAdmin: boolean;
}

declare module 'koa' {
  interface DefaultState {
    principal?: Principal;
  }
}

/** Accepts `Authorization: Bearer <JWT>` signed HS256 with the configured secret; `sub` is the user. */
export function authenticate(secret: string): Middleware {
  const key = new TextEncoder().encode(secret);
  return async (ctx, next) => {
    const [scheme, token] = (ctx.get('authorization') ?? '').split(' ');
    if (scheme !== 'Bearer' || !token) throw new AppError('UNAUTHENTICATED', 'A Bearer token is required', 401);
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], clockTolerance: 5 });
      if (typeof payload.sub !== 'string' || payload.sub.length === 0)
        throw new errors.JWTClaimValidationFailed('sub missing', payload, 'sub');
      const roles = Array.isArray(payload.roles) ? payload.roles : [];
      ctx.state.principal = { userId: payload.sub, isAdmin: roles.includes('admin') };
    } catch (err) {
      const reason = err instanceof errors.JWTExpired ? 'The token has expired' : 'The token is not valid';
      throw new AppError('UNAUTHENTICATED', reason, 401);
    }
    await next();
  };
}

export const requireAdmin: Middleware = async (ctx, next) => {
  if (!ctx.state.principal?.isAdmin) throw new AppError('FORBIDDEN', 'This route is for administrators', 403);
  await next();
};

export function principalOf(state: { principal?: Principal }): Principal {
  if (!state.principal) throw new AppError('UNAUTHENTICATED', 'A Bearer token is required', 401);
  return state.principal;
}
