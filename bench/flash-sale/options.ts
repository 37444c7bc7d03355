/** The flash-sale simulator's options: flags, their defaults and their meaning. */
import type { ParseArgsConfig } from 'node:util';
import { nonNegativeInteger, oneOf, positiveInteger, positiveNumber, share } from '../lib/args';

export const SHAPES = ['burst', 'ramp', 'uniform'] as const;
export type Shape = (typeof SHAPES)[number];

export interface SaleOptions {
  /** A running PulseCart, unless `spawn`. */
  url: string;
  /** Start an API and a worker of our own (free port, own task queue) and measure their memory. */
  spawn: boolean;
  buyers: number;
  stock: number;
  maxPerUser: number;
  /** The sale's length before compression, in seconds. */
  durationS: number;
  /** Compression factor: a 300 s sale at speed 10 lasts 30 s. */
  speed: number;
  shape: Shape;
  /** Share of buyers who use the async pattern; the rest buy sync. */
  asyncShare: number;
  /** Share of buyers whose request is sent twice with the same Idempotency-Key (a double click). */
  retryShare: number;
  /** Share of buyers who buy again once their first purchase is settled. */
  twiceShare: number;
  sseSubscribers: number;
  /** Keep-alive connections from the simulator to the API. */
  connections: number;
  pollMs: number;
  waitS: number;
  /** How often PostgreSQL and Redis stock is sampled. */
  sampleMs: number;
  seed: number;
  /** LOG_LEVEL of spawned processes. */
  logLevel: string;
}

type Flags = NonNullable<ParseArgsConfig['options']>;

/** Flag name → [default, help]; every flag takes a value except --spawn. */
const FLAGS: Record<string, [string, string]> = {
  url: ['http://127.0.0.1:3000', 'PulseCart to play the sale against'],
  buyers: ['100000', 'simulated buyers'],
  stock: ['1000', 'units on sale'],
  'max-per-user': ['1', 'units one buyer may hold'],
  duration: ['300', 'length of the sale in seconds, before --speed'],
  speed: ['1', 'compression: --speed 10 plays 300 s in 30 s'],
  shape: ['uniform', `arrivals: ${SHAPES.join(' | ')} (burst: all at t=0; ramp: rate rising linearly)`],
  async: ['0.5', 'share of buyers using the async pattern (0..1 or %)'],
  retries: ['0.05', 'share of buyers who send the same request twice with one Idempotency-Key'],
  twice: ['0.05', 'share of buyers who buy again after their first purchase settles'],
  sse: ['100', 'SSE subscribers on GET /api/v1/stock/stream (0: none)'],
  connections: ['2048', 'keep-alive connections to the API (a sync buyer holds one while its workflow runs)'],
  'wait-s': [
    '20',
    'seconds a status read waits on the server for the purchase to end, as the storefront asks (0: poll)',
  ],
  'poll-ms': ['500', 'with --wait-s 0: how often a buyer polls a pending purchase'],
  'sample-ms': ['100', 'how often PostgreSQL and Redis stock is sampled'],
  seed: ['1', 'seed of the buyers plan (same seed, same sale)'],
  'log-level': ['info', 'LOG_LEVEL of spawned processes'],
};

export const SALE_FLAGS: Flags = {
  ...Object.fromEntries(Object.keys(FLAGS).map((name) => [name, { type: 'string' as const }])),
  spawn: { type: 'boolean' },
};

export function saleUsage(): string {
  const lines = Object.entries(FLAGS).map(([name, [value, help]]) => `  --${name.padEnd(13)} ${help} (${value})`);
  return [...lines, `  --${'spawn'.padEnd(13)} start an API and a worker of its own and record their peak RSS`].join(
    '\n',
  );
}

export function readSaleOptions(values: Record<string, string | boolean | undefined>): SaleOptions {
  const value = (name: string) => String(values[name] ?? FLAGS[name][0]);
  return {
    url: value('url').replace(/\/$/, ''),
    spawn: values.spawn === true,
    buyers: positiveInteger('buyers', value('buyers')),
    stock: nonNegativeInteger('stock', value('stock')),
    maxPerUser: positiveInteger('max-per-user', value('max-per-user')),
    durationS: positiveNumber('duration', value('duration')),
    speed: positiveNumber('speed', value('speed')),
    shape: oneOf('shape', value('shape'), SHAPES),
    asyncShare: share('async', value('async')),
    retryShare: share('retries', value('retries')),
    twiceShare: share('twice', value('twice')),
    sseSubscribers: nonNegativeInteger('sse', value('sse')),
    connections: positiveInteger('connections', value('connections')),
    pollMs: positiveInteger('poll-ms', value('poll-ms')),
    waitS: nonNegativeInteger('wait-s', value('wait-s')),
    sampleMs: positiveInteger('sample-ms', value('sample-ms')),
    seed: nonNegativeInteger('seed', value('seed')),
    logLevel: value('log-level'),
  };
}
