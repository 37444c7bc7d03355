import { z } from 'zod';

/** An optional setting given as an empty string (`${VAR:-}` in docker-compose) is unset. */
const unsetWhenEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/** A comma-separated list, empty by default; blanks around entries are ignored. */
const commaSeparated = (item: z.ZodString) =>
  z
    .string()
    .default('')
    .transform((list) =>
      list
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item));

/** HS256 keys shorter than the hash are weak (RFC 7518 §3.2); what counts is the key's bytes, not its characters. */
const MIN_SECRET_BYTES = 32;
/** Said when neither JWT_SECRET nor JWT_JWKS_URL is set. */
export const MISSING_SECRET = 'required unless JWT_JWKS_URL is set (`npm start` makes one in .data/jwt-secret)';
/**
 * Said when PAYLOAD_KEYS is not set. Only what talks to Temporal needs them (the API and the worker refuse to
 * connect without), so the configuration alone does not: tokens, migrations and the web build go on without.
 */
export const MISSING_PAYLOAD_KEYS = 'required to talk to Temporal (`npm start` makes one in .data/payload-keys)';

/** AES-256 wants 32 bytes of key. */
const PAYLOAD_KEY_BYTES = 32;

/** One `id:base64key` entry of PAYLOAD_KEYS. */
const payloadKey = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}:[A-Za-z0-9+/_=-]+$/, 'each entry must be `id:base64key`, the id in [A-Za-z0-9._-]')
  .transform((entry) => {
    const [id, key] = entry.split(':');
    return { id, key: Buffer.from(key, 'base64') };
  })
  .refine((entry) => entry.key.length === PAYLOAD_KEY_BYTES, {
    message: `each key must be ${PAYLOAD_KEY_BYTES} bytes, base64 (for instance \`openssl rand -base64 32\`)`,
  });

/**
 * The one place PulseCart reads its environment. Every key has a default
 * that works on a developer machine, except JWT_SECRET: a signing secret
 * written in the code would be everyone's, so there is none. Without it (or
 * JWT_JWKS_URL) the API and worker refuse to start, whatever NODE_ENV is.
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
    /**
     * A Redis Cluster instead: some of its nodes as comma-separated host:port (ioredis finds the others); empty by
     * default. Set, REDIS_URL is not used; keys are hash-tagged per product, so each script runs on one node.
     */
    REDIS_CLUSTER_NODES: commaSeparated(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port')),
    /** RabbitMQ, for stock broadcasts. */
    AMQP_URL: z.string().url().default('amqp://guest:guest@127.0.0.1:5672'),
    /**
     * A RabbitMQ cluster instead: every node's amqp:// URL, comma-separated; empty by default. Set, AMQP_URL is not
     * used: connections go to the first node that answers and move to the next when it goes away.
     */
    AMQP_CLUSTER_URLS: commaSeparated(z.string().url()),
    /**
     * Type of the dead-letter queue, fixed when the broker first creates it: `quorum` on a RabbitMQ cluster, so
     * that dead letters survive the loss of a node; `classic` (the default) keeps what single brokers already hold.
     */
    AMQP_DEAD_LETTER_QUEUE_TYPE: z.enum(['classic', 'quorum']).default('classic'),
    /** host:port of the Temporal frontend. Unset, `npm start` runs the embedded dev server on 127.0.0.1:7233. */
    TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('purchases'),
    /** Base URL of the Temporal Web UI, for links in logs and the operator view. */
    TEMPORAL_UI_URL: z.string().url().default('http://127.0.0.1:8233'),
    /**
     * HS256 secret, at least 32 bytes, that signs buyer and admin tokens. Required unless JWT_JWKS_URL is set;
     * `npm start` makes a random one in the data folder (.data/jwt-secret) when it is unset.
     */
    JWT_SECRET: unsetWhenEmpty(
      z
        .string()
        .refine(
          (secret) => new TextEncoder().encode(secret).length >= MIN_SECRET_BYTES,
          `must be at least ${MIN_SECRET_BYTES} bytes (for instance \`openssl rand -hex 32\`)`,
        ),
    ),
    /**
     * The identity provider's JSON Web Key Set. Set, tokens must be RS256 and signed by one of its keys, and
     * HS256 tokens are refused (no algorithm confusion); unset, tokens are HS256 with JWT_SECRET.
     */
    JWT_JWKS_URL: unsetWhenEmpty(z.string().url()),
    /**
     * The AES-256-GCM keys that encrypt what PulseCart stores in Temporal (workflow inputs, results, memos),
     * comma-separated `id:base64key` entries of 32 bytes each. Every key listed decrypts; only PAYLOAD_KEY_ID
     * encrypts. The API and worker refuse to start without; `npm start` (and the test and benchmark set-up) use
     * the one in .data/payload-keys, made when absent.
     */
    PAYLOAD_KEYS: unsetWhenEmpty(
      z
        .string()
        .transform((list) => list.split(',').map((entry) => entry.trim()))
        .pipe(z.array(payloadKey).min(1))
        .refine((keys) => new Set(keys.map((k) => k.id)).size === keys.length, 'key ids must be unique'),
    ),
    /** The id of the PAYLOAD_KEYS entry that encrypts new payloads; unset, the first one listed. */
    PAYLOAD_KEY_ID: unsetWhenEmpty(z.string()),
    /** When set, a token's `iss` must be this. */
    JWT_ISSUER: unsetWhenEmpty(z.string()),
    /** When set, a token's `aud` must include this. */
    JWT_AUDIENCE: unsetWhenEmpty(z.string()),
    /** Seconds of clock difference with the token issuer tolerated when checking `exp` and `nbf`. */
    JWT_CLOCK_TOLERANCE_S: z.coerce.number().int().min(0).max(300).default(5),
    /** Purchase attempts one buyer may make per RATE_LIMIT_USER_DURATION_S; past them, 429 with Retry-After. */
    RATE_LIMIT_USER_POINTS: z.coerce.number().int().positive().default(20),
    RATE_LIMIT_USER_DURATION_S: z.coerce.number().int().positive().default(10),
    /**
     * Purchase attempts from one client address per RATE_LIMIT_IP_DURATION_S. High, because a carrier's NAT
     * puts many real buyers behind one address; it stops a single host flooding, the per-buyer limit does the rest.
     */
    RATE_LIMIT_IP_POINTS: z.coerce.number().int().positive().default(10_000),
    RATE_LIMIT_IP_DURATION_S: z.coerce.number().int().positive().default(10),
    /**
     * Status reads one buyer may make per RATE_LIMIT_STATUS_DURATION_S (each is a Temporal describe). A buyer
     * polling every 500 ms makes 20 in 10 s; past the limit, 429 with Retry-After. Per address, the
     * RATE_LIMIT_IP_* budget applies to status reads on a count of their own.
     */
    RATE_LIMIT_STATUS_POINTS: z.coerce.number().int().positive().default(60),
    RATE_LIMIT_STATUS_DURATION_S: z.coerce.number().int().positive().default(10),
    /** How long the API can answer a purchase's status from Redis; past it, Temporal's describe answers. */
    PURCHASE_STATUS_TTL_S: z.coerce.number().int().positive().default(86_400),
    /**
     * Calls one API key may make per API_KEY_RATE_LIMIT_DURATION_S, whatever it calls; past them, 429 with
     * Retry-After. A warehouse restocking a few products a second stays far below it; a runaway loop does not.
     */
    API_KEY_RATE_LIMIT_POINTS: z.coerce.number().int().positive().default(600),
    API_KEY_RATE_LIMIT_DURATION_S: z.coerce.number().int().positive().default(60),
    /** How long an Idempotency-Key stays bound to the request that first used it. */
    IDEMPOTENCY_KEY_TTL_S: z.coerce.number().int().positive().default(86_400),
    /** Behind a reverse proxy (nginx in docker-compose): the client address is the last X-Forwarded-For entry. */
    TRUST_PROXY: z.stringbool().default(false),
    /** Browser origins (scheme://host[:port]) allowed to call the API cross-origin, comma-separated; none by default. */
    CORS_ORIGINS: commaSeparated(z.string().url()),
    /** How long the sync endpoint waits for a purchase before answering 202. */
    SYNC_DEADLINE_MS: z.coerce.number().int().positive().default(5000),
    /** How long the API trusts its own "sold out" flag before asking Redis again. */
    SOLD_OUT_CACHE_MS: z.coerce.number().int().nonnegative().default(250),
    /**
     * The API runs the purchase workflows it starts (Temporal's eager workflow start: the first workflow task
     * comes back with the start reply instead of through matching, about a fifth less Temporal CPU per purchase).
     * Off by default: in the default sale it drained purchases slower and the API took 180 MiB more (a worker,
     * the workflow bundle), see docs/performance.md. Off, the API only starts purchases and the workers run them.
     */
    EAGER_START: z.stringbool().default(false),
    /**
     * Purchases the API runs at once with EAGER_START (workflow task slots of its purchase worker; a purchase holds
     * one through its local activities). Temporal hands a start back only while one is free; else the workers run it.
     */
    EAGER_START_SLOTS: z.coerce.number().int().positive().default(100),
    /**
     * With EAGER_START, the API's purchase worker takes eager starts (it never polls the task queue) only while its
     * event loop's delay (the worst over 250 ms) is at most this: a crowd that keeps the loop busy would delay the
     * purchases' local activities; the workers take them meanwhile.
     */
    EAGER_START_MAX_LOOP_DELAY_MS: z.coerce.number().int().positive().default(50),
    /**
     * Purchase workflow starts in flight to Temporal from one API process; the others wait their turn in order,
     * so that the first admitted end first instead of every purchase ending late together (docs/performance.md).
     */
    TEMPORAL_START_CONCURRENCY: z.coerce.number().int().positive().default(16),
    /** Per product, each worker publishes at most one stock event per this many ms; the newest value always follows. */
    STOCK_EVENT_INTERVAL_MS: z.coerce.number().int().positive().default(100),
    /** How often an open stock stream gets a comment line, so that proxies keep the connection. */
    SSE_HEARTBEAT_MS: z.coerce.number().int().positive().default(15_000),
    /**
     * How long a browser waits before reconnecting a dropped stock stream (the SSE `retry:` field); rounded up to
     * seconds, also the Retry-After of a stream refused for the caps below.
     */
    SSE_RETRY_MS: z.coerce.number().int().positive().default(2000),
    /**
     * Open stock streams one API instance holds at most; past it, 503 TOO_MANY_STREAMS. A stream costs a socket
     * and a few kB: 10,000 stays well inside a process's memory and the 65,535 descriptors nginx is given.
     */
    SSE_MAX_STREAMS: z.coerce.number().int().positive().default(10_000),
    /**
     * Open stock streams from one client address on one API instance (a browser tab holds one). High, because a
     * carrier's NAT puts many real buyers behind one address (as RATE_LIMIT_IP_POINTS); it keeps a single host
     * to a tenth of SSE_MAX_STREAMS, so that filling an instance takes many hosts.
     */
    SSE_MAX_STREAMS_PER_ADDRESS: z.coerce.number().int().positive().default(1000),
    /**
     * A stock stream through whose socket nothing has gone for this long is closed and its slot freed: its peer
     * stopped taking data (gone without a word, or stuck). Above SSE_HEARTBEAT_MS, since the heartbeat is what
     * keeps a quiet but live stream moving; four heartbeats by default.
     */
    SSE_STALL_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
    /** The storefront's built pages and bundles (`npm run build:web`); relative to the working directory. */
    WEB_ASSETS_DIR: z.string().min(1).default('dist/web'),
    /** Where the set-up (and the image build) leaves the workflow bundle the workers load; see src/workers/workflow-bundle.ts. */
    WORKFLOW_BUNDLE_DIR: z.string().min(1).default('dist/workflow-bundles'),
    /**
     * How far V8 lets the API's old generation grow past what survived its last full collection, in percent; 0
     * leaves it to V8 (up to 300% on a machine with a few GB). Lower trades CPU for memory (docs/operations.md).
     */
    API_HEAP_GROWING_PERCENT: z.coerce.number().int().nonnegative().default(0),
    /**
     * On SIGTERM, how long the API waits for requests in flight and the worker for activities in flight before
     * cutting them. Above SYNC_DEADLINE_MS, below the orchestrator's kill timeout (compose: stop_grace_period 30 s).
     */
    SHUTDOWN_GRACE_MS: z.coerce.number().int().positive().default(10_000),
    /**
     * Whether this worker keeps the schedules (the minute reconciliation, backups) aimed at its task queue. Off for workers on
     * throwaway task queues (tests, benchmarks), so they never take it from the real ones.
     */
    RECONCILE_SCHEDULE: z.stringbool().default(true),
    /** Where the worker writes database backups (pg_dump's custom format); relative to the working directory. */
    BACKUP_DIR: z.string().min(1).default('.data/backups'),
    /** Backups kept: after each new one, all but the newest BACKUP_KEEP are deleted. */
    BACKUP_KEEP: z.coerce.number().int().positive().default(7),
    /**
     * When the backup schedule runs, a cron expression in UTC (daily at 03:00 by default). Kept by the workers
     * with RECONCILE_SCHEDULE on, which own the schedules.
     */
    BACKUP_CRON: z.string().min(1).default('0 3 * * *'),
    /** Port of the worker's Prometheus endpoint (the Temporal SDK's metrics and ours). */
    WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).default(9464),
    /**
     * The crowd's refusals (409s that never became a purchase) are logged one line in this many, each line saying
     * `sample`; 1 logs every one. Every request still counts in http_request_duration_seconds.
     */
    LOG_REFUSAL_SAMPLE: z.coerce.number().int().positive().default(100),
    /**
     * Names the build this process runs, in every API answer's `X-PulseCart-Release` header, so that the share of
     * traffic a canary gets can be watched and counted (docs/operations.md, "Rolling out a new API version").
     */
    RELEASE: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, underscore and hyphen, at most 64')
      .default('dev'),
    /**
     * Set, the worker uses Worker Versioning: it declares the version (WORKER_DEPLOYMENT, RELEASE), and each purchase
     * stays pinned to the build that started it. New builds take work only once an operator makes them current or
     * ramps them (docs/operations.md, "Rolling out a new worker version"). Unset, the worker is unversioned.
     */
    WORKER_DEPLOYMENT: unsetWhenEmpty(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/)),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .refine((env) => env.SSE_STALL_TIMEOUT_MS > env.SSE_HEARTBEAT_MS, {
    path: ['SSE_STALL_TIMEOUT_MS'],
    message: 'must be above SSE_HEARTBEAT_MS, or quiet streams would be closed between heartbeats',
  })
  .refine((env) => !env.PAYLOAD_KEY_ID || env.PAYLOAD_KEYS?.some((k) => k.id === env.PAYLOAD_KEY_ID), {
    path: ['PAYLOAD_KEY_ID'],
    message: 'must be the id of one of PAYLOAD_KEYS',
  })
  .superRefine((env, ctx) => {
    if (env.JWT_SECRET || env.JWT_JWKS_URL) return;
    ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: MISSING_SECRET });
  });

/** The same keys, a secret not required: see `needsSecret` below. */
const withoutSecret = z.object(schema.shape);

export type Config = z.infer<typeof schema>;

/**
 * `needsSecret: false` is for tools that never sign or check a token (migrations, the web build), so that they
 * run where no secret is given, such as the image's build stage.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, { needsSecret = true } = {}): Config {
  const parsed = (needsSecret ? schema : withoutSecret).safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  return parsed.data;
}
