import Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { API_KEY_SCOPES, type ApiKeys } from '../../api-keys/api-keys';
import { actorOf, requireAdmin } from '../middleware/auth';
import { parse } from '../validation';

const DAY_MS = 24 * 60 * 60 * 1000;
/** A key nobody set an end for still ends: a forgotten one stops working by itself. */
const DEFAULT_LIFETIME_MS = 90 * DAY_MS;
const MAX_LIFETIME_MS = 366 * DAY_MS;

export const createApiKeyBody = z
  .object({
    name: z.string().trim().min(1).max(100).meta({ description: 'Who holds it, e.g. "warehouse-eu"' }),
    scopes: z
      .array(z.enum(API_KEY_SCOPES))
      .min(1)
      .max(API_KEY_SCOPES.length)
      .refine((scopes) => new Set(scopes).size === scopes.length, 'must not name a scope twice'),
    expiresAt: z.iso
      .datetime({ offset: true })
      .refine((at) => Date.parse(at) > Date.now(), 'must be in the future')
      .refine((at) => Date.parse(at) <= Date.now() + MAX_LIFETIME_MS, 'must be within a year')
      .optional()
      .meta({ description: 'Defaults to 90 days from now; at most a year ahead' }),
  })
  .strict();

export const apiKeyIdParam = z.string().regex(/^[0-9a-f]{16}$/, 'must be an API key id (16 hex digits)');

export interface ApiKeyRouteDeps {
  keys: ApiKeys;
  authenticate: Middleware;
}

/** Administrators make keys for other systems (the secret is in the answer, and nowhere else ever) and revoke them. */
export function apiKeyRoutes({ keys, authenticate }: ApiKeyRouteDeps): Router {
  const router = new Router({ prefix: '/api/v1/admin/api-keys' });

  router.post('/', authenticate, requireAdmin, async (ctx) => {
    const { name, scopes, expiresAt } = parse(createApiKeyBody, ctx.request.body);
    const expires = new Date(expiresAt ? Date.parse(expiresAt) : Date.now() + DEFAULT_LIFETIME_MS);
    const { key, secret } = await keys.create({ name, scopes, expiresAt: expires }, actorOf(ctx));
    // No cache on the way may keep the one copy of the secret.
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 201;
    ctx.body = { ...key, secret };
  });

  router.delete('/:id', authenticate, requireAdmin, async (ctx) => {
    await keys.revoke(parse(apiKeyIdParam, ctx.params.id), actorOf(ctx));
    ctx.status = 204;
  });

  return router;
}
