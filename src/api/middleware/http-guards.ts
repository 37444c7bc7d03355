import cors from '@koa/cors';
import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Koa from 'koa';
import type { Context, Middleware } from 'koa';
import type { Config } from '../../config';

export type HttpGuardConfig = Pick<Config, 'TRUST_PROXY' | 'CORS_ORIGINS'>;

/**
 * What every request meets before any route: the client address taken from
 * the proxy only when there is one, security headers, the CORS allow-list, and
 * bodies that are JSON or nothing. Installed inside the error middleware, so
 * that its refusals have the error shape and its headers stay on errors.
 */
export function guardHttp(app: Koa, config: HttpGuardConfig): void {
  app.proxy = config.TRUST_PROXY;
  // Only the last X-Forwarded-For entry is written by our proxy; the ones before it are whatever the client sent.
  app.maxIpsCount = 1;
  app.use(securityHeaders());
  app.use(corsAllowList(config.CORS_ORIGINS));
  app.use(jsonBodiesOnly);
}

/**
 * Helmet's headers. With our options none depends on the request (no CSP nonce), so helmet runs once, here,
 * and every answer gets the headers it wrote instead of running its dozen steps again.
 */
function securityHeaders(): Middleware {
  const headers: [string, string][] = [];
  const recorder = {
    setHeader: (name: string, value: string) => headers.push([name, value]),
    // X-Powered-By: Koa never sets it.
    removeHeader: () => undefined,
  };
  helmet()({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
  });
  return (ctx, next) => {
    for (const [name, value] of headers) ctx.res.setHeader(name, value);
    return next();
  };
}

function corsAllowList(origins: string[]): Middleware {
  const allowed = new Set(origins);
  return cors({
    // An origin off the list gets no CORS headers, so its browser keeps our answer from its page.
    origin: (ctx) => (allowed.has(ctx.get('origin')) ? ctx.get('origin') : ''),
    allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Last-Event-ID'],
    exposeHeaders: ['Location', 'Retry-After', 'X-Request-Id'],
    maxAge: 600,
  });
}

/** A body in any other type is refused before anything parses it; a request without a body passes. */
const jsonBodiesOnly: Middleware = async (ctx, next) => {
  if (hasBody(ctx) && !ctx.is('application/json')) ctx.throw(415);
  await next();
};

function hasBody(ctx: Context): boolean {
  return (ctx.request.length ?? 0) > 0 || ctx.get('transfer-encoding') !== '';
}
