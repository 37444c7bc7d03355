import { z } from 'zod';

/**
 * The one place PulseCart reads its environment. Every key has a default
 * that works on a developer machine, except JWT_SECRET outside development.
 */
const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    /** HTTP port of the API; 0 picks a free one (tests). */
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /** PostgreSQL, the source of truth for products and orders. */
    DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/pulsecart'),
    /** Connections in the pg pool of each process. */
    DATABASE_POOL_SIZE: z.coerce.number().int().positive().default(20),
    /** Redis, the hot stock counter and reservations. */
    REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
    /** RabbitMQ, for stock broadcasts. */
    AMQP_URL: z.string().url().default('amqp://guest:guest@127.0.0.1:5672'),
    /** host:port of the Temporal frontend. Unset, `npm start` runs the embedded dev server on 127.0.0.1:7233. */
    TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('purchases'),
    /** Base URL of the Temporal Web UI, for links in logs and the operator view. */
    TEMPORAL_UI_URL: z.string().url().default('http://127.0.0.1:8233'),
    /** HS256 secret that signs buyer and admin tokens. Required outside development. */
    JWT_SECRET: z.string().min(16).optional(),
    /** How long the sync endpoint waits for a purchase before answering 202. */
    SYNC_DEADLINE_MS: z.coerce.number().int().positive().default(5000),
    /** How long the API trusts its own "sold out" flag before asking Redis again. */
    SOLD_OUT_CACHE_MS: z.coerce.number().int().nonnegative().default(250),
    /** Per product, each worker publishes at most one stock event per this many ms; the newest value always follows. */
    STOCK_EVENT_INTERVAL_MS: z.coerce.number().int().positive().default(100),
    /** How often an open stock stream gets a comment line, so that proxies keep the connection. */
    SSE_HEARTBEAT_MS: z.coerce.number().int().positive().default(15_000),
    /** How long a browser waits before reconnecting a dropped stock stream (the SSE `retry:` field). */
    SSE_RETRY_MS: z.coerce.number().int().positive().default(2000),
    /** The storefront's built pages and bundles (`npm run build:web`); relative to the working directory. */
    WEB_ASSETS_DIR: z.string().min(1).default('dist/web'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .transform((env, ctx) => {
    if (env.JWT_SECRET) return { ...env, JWT_SECRET: env.JWT_SECRET };
    if (env.NODE_ENV !== 'development') {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'JWT_SECRET is required outside development' });
      return z.NEVER;
    }
    return { ...env, JWT_SECRET: 'pulsecart-development-secret-not-for-production' };
  });

export type Config = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  return parsed.data;
}
