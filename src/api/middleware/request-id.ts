import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';

declare module 'koa' {
  interface DefaultState {
    requestId?: string;
  }
}

/** What a proxy may pass on (nginx's $request_id is 32 hex digits); anything else is replaced. */
const ACCEPTED_ID = /^[A-Za-z0-9._-]{8,128}$/;

/**
 * Every request gets an id, for the log line, the audit log and the
 * `X-Request-Id` response header a buyer can quote to support.
 */
export const requestId: Middleware = async (ctx, next) => {
  const given = ctx.get('x-request-id');
  ctx.state.requestId = ACCEPTED_ID.test(given) ? given : randomUUID();
  ctx.set('X-Request-Id', ctx.state.requestId);
  await next();
};

/** This request's id; a route outside the requestId middleware is a programming error. */
export function requestIdOf(state: { requestId?: string }): string {
  if (!state.requestId) throw new Error('the requestId middleware is not installed before this route');
  return state.requestId;
}
