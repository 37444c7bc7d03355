/**
 * Ratio 1: the sold-out path. A purchase of a sold-out product is answered by
 * the admission gate without a workflow; how close does that come to a bare
 * node:http server answering the same JSON, with the same client and the same
 * connections? Rounds alternate between the two so that drift on a shared
 * machine hits both alike.
 */
import { loadConfig } from '../../src/config';
import { AdminApi } from '../../tools/lib/admin';
import { JsonClient, type CallOptions } from '../../tools/lib/http';
import { freePort } from '../../tools/lib/ports';
import { launch, stopProcess } from '../../tools/lib/processes';
import { spawnPulseCart } from '../../tools/lib/pulsecart';
import { answers, waitUntil } from '../../tools/lib/wait';
import { closedLoop, type LoopResult } from '../lib/closed-loop';
import { BEHIND_PROXY, buyerAddress, mintTokens } from '../lib/crowd';
import { summarize, type LatencySummary } from '../lib/stats';
import { count, ms, type Table } from '../lib/table';

export interface SoldOutOptions {
  connections: number;
  seconds: number;
  rounds: number;
  /** LOG_LEVEL of the API: by default what production runs with. */
  logLevel: string;
}

interface Side {
  perSecond: number;
  latency: LatencySummary;
  unexpected: number;
  clientCores: number;
  serverCores: number;
  rounds: LoopResult[];
}

export interface SoldOutReport {
  options: SoldOutOptions;
  answer: { status: number; body: unknown };
  bare: Side;
  api: Side;
  /** API req/s ÷ bare req/s: the aim is AIM.throughputRatio. */
  throughputRatio: number;
  /** API p99 ÷ bare p99. */
  p99Ratio: number;
}

/** The aims for the sold-out answer: a share of the bare server's req/s, and server CPU per answer. */
const AIM = { throughputRatio: 0.4, serverMicroseconds: 40 };
const WARMUP_SECONDS = 2;
const PATH = '/api/v1/sync/purchase';
/** Enough buyers that none is rate limited: 20,000 × 20 attempts per 10 s is 40,000 req/s. */
const CROWD = 20_000;

function pool(rounds: LoopResult[], latencies: number[]): Side {
  const seconds = rounds.reduce((sum, r) => sum + r.seconds, 0);
  const weighted = (pick: (r: LoopResult) => number) =>
    rounds.reduce((sum, r) => sum + pick(r) * r.seconds, 0) / seconds;
  return {
    perSecond: rounds.reduce((sum, r) => sum + r.requests, 0) / seconds,
    latency: summarize(latencies),
    unexpected: rounds.reduce((sum, r) => sum + r.unexpected, 0),
    clientCores: weighted((r) => r.clientCores),
    serverCores: weighted((r) => r.serverCores),
    rounds,
  };
}

/**
 * Many buyers, each from its own address: one buyer alone would meet the
 * per-buyer rate limit (20 attempts per 10 s) within a millisecond.
 */
async function crowdOfBuyers(productId: number): Promise<() => CallOptions> {
  const userIds = Array.from({ length: CROWD }, (_, i) => `bench-sold-out-${process.pid}-${i}`);
  const tokens = await mintTokens(loadConfig().JWT_SECRET, userIds);
  const json = JSON.stringify({ productId, quantity: 1 });
  let next = 0;
  return () => {
    const i = next++ % CROWD;
    return { token: tokens[i], json, headers: { 'x-forwarded-for': buyerAddress(i) } };
  };
}

/**
 * One attempt from every buyer before anything is measured. A buyer's first attempt pays for checking their
 * token's signature once; the retries that make a crowd find it remembered (token-verifier.ts). Without this,
 * the first round measured first sightings and the last one did not.
 */
async function meetEveryBuyer(client: JsonClient, nextCall: () => CallOptions, connections: number): Promise<void> {
  let left = CROWD;
  const lane = async () => {
    while (left-- > 0) await client.call('POST', PATH, nextCall());
  };
  await Promise.all(Array.from({ length: connections }, lane));
}

export async function measureSoldOut(options: SoldOutOptions, logPrefix: string): Promise<SoldOutReport> {
  const pulsecart = await spawnPulseCart({
    withWorker: false,
    logPrefix,
    env: { LOG_LEVEL: options.logLevel, ...BEHIND_PROXY },
  });
  const apiClient = new JsonClient(pulsecart.url, options.connections);
  const port = await freePort();
  const bareClient = new JsonClient(`http://127.0.0.1:${port}`, options.connections);
  let bare: ReturnType<typeof launch> | undefined;
  try {
    const admin = await AdminApi.connect(apiClient);
    const product = await admin.createProduct({ name: 'Sold out', price: 1, stock: 0, maxPerUser: 1 });
    const nextCall = await crowdOfBuyers(product.id);
    const answer = await apiClient.call('POST', PATH, nextCall());

    const env = {
      ...process.env,
      PORT: String(port),
      BARE_STATUS: String(answer.status),
      BARE_BODY: JSON.stringify(answer.body),
    };
    bare = launch('bench/ratios/bare-server.ts', env, `${logPrefix}-bare.log`);
    await waitUntil('the bare server', answers(`http://127.0.0.1:${port}/`), [bare]);

    const sides = {
      bare: { client: bareClient, pid: bare.pid as number, rounds: [] as LoopResult[], latencies: [] as number[] },
      api: { client: apiClient, pid: pulsecart.pids.api, rounds: [] as LoopResult[], latencies: [] as number[] },
    };
    const loop = (side: (typeof sides)['api'], seconds: number, latencies?: number[]) =>
      closedLoop(
        {
          client: side.client,
          method: 'POST',
          path: PATH,
          nextCall,
          expectStatus: answer.status,
          connections: options.connections,
          seconds,
          serverPid: side.pid,
        },
        latencies,
      );
    await meetEveryBuyer(apiClient, nextCall, options.connections);
    for (const side of Object.values(sides)) await loop(side, WARMUP_SECONDS);
    for (let round = 0; round < options.rounds; round += 1) {
      for (const side of Object.values(sides)) side.rounds.push(await loop(side, options.seconds, side.latencies));
    }
    const api = pool(sides.api.rounds, sides.api.latencies);
    const bareSide = pool(sides.bare.rounds, sides.bare.latencies);
    return {
      options,
      answer: { status: answer.status, body: answer.body },
      bare: bareSide,
      api,
      throughputRatio: api.perSecond / bareSide.perSecond,
      p99Ratio: api.latency.p99 / bareSide.latency.p99,
    };
  } finally {
    await Promise.allSettled([apiClient.close(), bareClient.close()]);
    if (bare) await stopProcess(bare);
    await pulsecart.stop();
  }
}

/** `number` is the ratio's row: 1, or 1b with the sale's connections. */
export function soldOutTable(report: SoldOutReport, number = '1'): Table {
  // CPU per request holds up on a shared machine, where req/s moves with other people's load.
  const microseconds = (cores: number, side: Side) => ((cores / side.perSecond) * 1e6).toFixed(0);
  const row = (name: string, side: Side) => [
    name,
    count(side.perSecond),
    ms(side.latency.p50),
    ms(side.latency.p99),
    side.serverCores.toFixed(2),
    microseconds(side.serverCores, side),
    side.clientCores.toFixed(2),
    microseconds(side.clientCores, side),
    count(side.unexpected),
  ];
  const { connections, seconds, rounds } = report.options;
  return {
    title:
      `${number}. Sold-out path vs bare node:http (${connections} connections, ${rounds} × ${seconds} s each, alternating): ` +
      `${report.throughputRatio.toFixed(2)}× the req/s (aim ≥ ${AIM.throughputRatio.toFixed(2)}×), ` +
      `${microseconds(report.api.serverCores, report.api)} µs of server CPU per answer ` +
      `(aim ≤ ${AIM.serverMicroseconds}; bare ${microseconds(report.bare.serverCores, report.bare)}), ` +
      `p99 ${report.p99Ratio.toFixed(2)}×`,
    header: [
      'server',
      'req/s',
      'p50 ms',
      'p99 ms',
      'server cores',
      'server µs/req',
      'client cores',
      'client µs/req',
      'unexpected',
    ],
    rows: [row('bare node:http', report.bare), row('PulseCart sold out', report.api)],
  };
}
