import Router from '@koa/router';
import type { Client } from '@temporalio/client';
import type { RedisClient } from '../../clients/redis';
import type { Pool } from 'pg';
import type { Amqp } from '../../clients/amqp';
import type { ApiMetrics } from '../metrics';

export interface HealthDeps {
  pool: Pool;
  redis: RedisClient;
  amqp: Amqp;
  temporal: Client;
  metrics: ApiMetrics;
}

const READY_TIMEOUT_MS = 2000;

function withTimeout<T>(work: Promise<T>): Promise<T> {
  return Promise.race([
    work,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timed out')), READY_TIMEOUT_MS).unref()),
  ]);
}

/** Liveness, readiness of every dependency, and Prometheus metrics. */
export function healthRoutes({ pool, redis, amqp, temporal, metrics }: HealthDeps): Router {
  const router = new Router();
  const checks: Record<string, () => Promise<unknown>> = {
    postgres: () => pool.query('SELECT 1'),
    redis: () => redis.ping(),
    rabbitmq: async () => {
      if (!amqp.connection.isConnected()) throw new Error('not connected (reconnecting)');
    },
    temporal: () => temporal.workflowService.getSystemInfo({}),
  };

  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/ready', async (ctx) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check());
          return [name, 'ok'] as const;
        } catch (err) {
          return [name, `down: ${(err as Error).message}`] as const;
        }
      }),
    );
    const ready = results.every(([, state]) => state === 'ok');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) };
  });

  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });

  return router;
}
