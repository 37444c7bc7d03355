import { pendingCommands, type RedisClient } from '../clients/redis';
import type { Pool } from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { SALES_METRICS, type SalesMetrics } from '../activities/sales-metrics';

/** Prometheus metrics of one API process, on its own registry. */
export function createApiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    purchases: new Counter({
      name: 'pulsecart_purchases_total',
      help: 'Purchase requests answered, by pattern (sync/async) and outcome',
      labelNames: ['pattern', 'outcome'],
      registers: [registry],
    }),
    admissionRejections: new Counter({
      name: 'pulsecart_admission_rejections_total',
      help: 'Purchases turned away by the admission gate without a workflow, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    workflowsStarted: new Counter({
      name: 'pulsecart_workflows_started_total',
      help: 'Purchase workflows started: buyers the admission gate admitted (conversion = these / purchases answered)',
      registers: [registry],
    }),
    workflowStartsWaiting: new Gauge({
      name: 'pulsecart_workflow_starts_waiting',
      help: 'Admitted purchases waiting for their turn to start (TEMPORAL_START_CONCURRENCY starts are in flight)',
      registers: [registry],
    }),
    workflowsStartedEagerly: new Counter({
      name: 'pulsecart_workflows_started_eagerly_total',
      help: 'Of those, the ones whose first workflow task Temporal handed to this API process (EAGER_START)',
      registers: [registry],
    }),
    sseSubscribers: new Gauge({
      name: 'pulsecart_sse_subscribers',
      help: 'Open stock streams (Server-Sent Events) on this instance',
      registers: [registry],
    }),
    sseEvents: {
      sent: new Counter({
        name: 'pulsecart_sse_events_sent_total',
        help: 'Stock events written to subscribers',
        registers: [registry],
      }),
      dropped: new Counter({
        name: 'pulsecart_sse_events_dropped_total',
        help: 'Intermediate stock values skipped for subscribers that were not keeping up',
        registers: [registry],
      }),
    },
    stockMessages: new Counter({
      name: 'pulsecart_stock_messages_total',
      help: 'Stock messages consumed from RabbitMQ, by outcome (delivered, dead_lettered)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    stockPublishes: new Counter({
      name: 'pulsecart_stock_publishes_total',
      help: 'Stock events published to RabbitMQ (restocks, here), by the broker confirm: confirmed or failed',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    stockEventDelay: new Histogram({
      name: 'pulsecart_stock_event_delay_seconds',
      help: 'From the worker reading the stock after a change to this instance receiving the event',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    sales: registrySalesMetrics(registry),
  };
}

/** The business metrics of the orders this API commits when it runs its purchases (EAGER_START). */
function registrySalesMetrics(registry: Registry): SalesMetrics {
  const { orders, revenueCents, unitsSold, sellThroughSeconds } = SALES_METRICS;
  const counter = <K extends string>([name, help]: readonly [string, string], label: K) => {
    const metric = new Counter({ name: `${name}_total`, help, labelNames: [label], registers: [registry] });
    return { add: (value: number, labels: Record<K, string>) => metric.inc(labels, value) };
  };
  const gauge = new Gauge({
    name: sellThroughSeconds[0],
    help: sellThroughSeconds[1],
    labelNames: ['productId'],
    registers: [registry],
  });
  return {
    orders: counter(orders, 'pattern'),
    revenueCents: counter(revenueCents, 'pattern'),
    unitsSold: counter(unitsSold, 'productId'),
    sellThroughSeconds: { set: (value, labels) => gauge.set(labels, value) },
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

/** Pool use, read from the clients when Prometheus scrapes. */
export function observeClients(registry: Registry, { pool, redis }: { pool: Pool; redis: RedisClient }): void {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('pulsecart_db_pool_connections', 'PostgreSQL connections the pool holds, idle or busy', () => pool.totalCount);
  gauge('pulsecart_db_pool_idle_connections', 'PostgreSQL connections open and idle', () => pool.idleCount);
  gauge(
    'pulsecart_db_pool_waiting_queries',
    'Queries waiting for a PostgreSQL connection: above 0, the pool is exhausted',
    () => pool.waitingCount,
  );
  // One connection, auto-pipelined: what would be pool waits shows up as replies outstanding.
  gauge('pulsecart_redis_pending_commands', 'Commands sent to Redis and not answered yet', () =>
    pendingCommands(redis),
  );
}
