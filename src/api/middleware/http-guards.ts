import cors from '@koa/cors';
import { parse as parseJson } from '@hapi/bourne';
import helmet from 'helmet';
import getRawBody from 'raw-body';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Koa from 'koa';
import type { Context, Middleware } from 'koa';
import type { Config } from '../../config';

export type HttpGuardConfig = Pick<Config, 'TRUST_PROXY' | 'CORS_ORIGINS'>;

/**
 * What every request meets before any route: the client address taken from
 * the proxy only when there is one, security headers, the CORS allow-list, and
 * bodies that are JSON or nothing, parsed. Installed inside the error middleware, so
 * that its refusals have the error shape and its headers stay on errors.
 */
export function guardHttp(app: Koa, config: HttpGuardConfig): void {
  app.proxy = config.TRUST_PROXY;
  // Only the last X-Forwarded-For entry is written by our proxy; the ones before it are whatever the client sent.
  app.maxIpsCount = 1;
  app.use(securityHeaders());
  app.use(corsAllowList(config.CORS_ORIGINS));
  app.use(jsonBodies);
}

declare module 'koa' {
  interface Request {
    /** The parsed JSON body: an object or an array, `{}` when the request has none. */
    body?: unknown;
  }
}

/**
 * JSON answers (everything under /api/) carry the headers a JSON API needs (OWASP's REST Security Cheat
 * Sheet): no framing, no sniffing, HSTS, and a policy that lets the answer load nothing. Helmet's other
 * headers govern documents a browser renders (the storefront, /docs), so only those get the whole set. A
 * header costs every answer a few hundred nanoseconds in node:http; the crowd's refusals are JSON.
 */
const API_HEADERS: readonly [string, string][] = [
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
];
const API_PREFIX = '/api/';

/**
 * Helmet's headers for documents. With our options none depends on the request (no CSP nonce), so helmet runs
 * once, here, and every document gets the headers it wrote instead of running its dozen steps again.
 */
function securityHeaders(): Middleware {
  const documentHeaders: [string, string][] = [];
  const recorder = {
    setHeader: (name: string, value: string) => documentHeaders.push([name, value]),
    // X-Powered-By: Koa never sets it.
    removeHeader: () => undefined,
  };
  helmet()({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
  });
  return (ctx, next) => {
    for (const [name, value] of ctx.path.startsWith(API_PREFIX) ? API_HEADERS : documentHeaders)
      ctx.res.setHeader(name, value);
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

/** The largest body any route takes. */
const BODY_LIMIT = 16 * 1024;
/** A JSON text that is an object or an array: a bare string or number is no body any route takes. */
const OBJECT_OR_ARRAY = /^[ \t\n\r]*[[{]/;

/**
 * A body in any other type, or compressed, is refused (415) before it is read; a JSON body is read as bytes
 * (raw-body: the declared length, the limit, an aborted upload) and parsed by bourne, which refuses
 * `__proto__` keys (400). Only this, instead of a general body parser: the crowd's small purchase bodies
 * paid for media-type parsing twice and a charset decoder per request.
 */
const jsonBodies: Middleware = async (ctx, next) => {
  if (!hasBody(ctx)) {
    ctx.request.body = {};
    return next();
  }
  if (!isJson(ctx) || (ctx.get('content-encoding') || 'identity') !== 'identity') ctx.throw(415);
  const text = (await getRawBody(ctx.req, { length: ctx.request.length, limit: BODY_LIMIT })).toString('utf8');
  try {
    if (!OBJECT_OR_ARRAY.test(text)) throw new SyntaxError('only an object or an array');
    ctx.request.body = parseJson(text, { protoAction: 'error' });
  } catch {
    ctx.throw(400);
  }
  return next();
};

/** The type every client sends is compared as it is; any other spelling is parsed (type-is: parameters, case). */
function isJson(ctx: Context): boolean {
  return ctx.get('content-type') === 'application/json' || Boolean(ctx.is('application/json'));
}

function hasBody(ctx: Context): boolean {
  return (ctx.request.length ?? 0) > 0 || ctx.get('transfer-encoding') !== '';
}
