/**
 * `npm run bench:sse [-- --subscribers 1000 --stock 200 --buyers 400 --rate 100]`
 *
 * How long a stock change takes to reach the people watching. An API and a
 * worker of the benchmark's own (tools/lib/pulsecart.ts) serve a product;
 * SSE subscribers in this process watch it while buyers arrive at `--rate`
 * per second (half sync, half async) until it is sold out. Buyers are paced:
 * a crowd arriving in one instant reserves everything before the first
 * commit, and the stock then changes only once. Every event a subscriber
 * receives is timed from its `ts` (the worker reads the stock right after the
 * commit or release) to its arrival, so the delay includes the coalescing
 * wait (up to STOCK_EVENT_INTERVAL_MS), RabbitMQ, the API's fan-out and the
 * socket. Writes bench/results/sse-latency-<time>.json.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { AdminApi } from '../tools/lib/admin';
import { JsonClient } from '../tools/lib/http';
import { signToken } from '../tools/lib/jwt';
import { freePort } from '../tools/lib/ports';
import { spawnPulseCart } from '../tools/lib/pulsecart';
import { SseSubscriber } from '../tools/lib/sse-subscriber';
import { sleep } from '../tools/lib/wait';
import { positiveInteger } from './lib/args';
import { machineInfo, resultPath, timestamp, writeJson } from './lib/results';
import { summarize } from './lib/stats';
import { useDataFolderSecret } from '../tools/signing-secret';

/** Connections opened at once: well under the listen backlog. */
const OPEN_AT_ONCE = 100;
const SOLD_OUT_TIMEOUT_MS = 120_000;

interface Options {
  subscribers: number;
  stock: number;
  buyers: number;
  /** Buyers arriving per second. */
  rate: number;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      subscribers: { type: 'string', default: '1000' },
      stock: { type: 'string', default: '200' },
      buyers: { type: 'string', default: '400' },
      rate: { type: 'string', default: '100' },
    },
  });
  return {
    subscribers: positiveInteger('subscribers', values.subscribers),
    stock: positiveInteger('stock', values.stock),
    buyers: positiveInteger('buyers', values.buyers),
    rate: positiveInteger('rate', values.rate),
  };
}

/** Subscribers that time every event after their snapshot (which is read at connect, not a change). */
async function openSubscribers(url: string, productId: number, count: number, delays: number[]) {
  const subscribers: SseSubscriber[] = [];
  while (subscribers.length < count) {
    const batch = Array.from({ length: Math.min(OPEN_AT_ONCE, count - subscribers.length) }, () => {
      let snapshot = true;
      const onEvent = (event: { ts: number }, receivedAt: number) => {
        if (!snapshot) delays.push(receivedAt - event.ts);
        snapshot = false;
      };
      return SseSubscriber.open(url, productId, { onEvent });
    });
    subscribers.push(...(await Promise.all(batch)));
  }
  await Promise.all(subscribers.map((s) => s.until(() => true)));
  return subscribers;
}

/**
 * The API's own view (pulsecart_stock_event_delay_seconds): from the worker's
 * read to the API's receipt, before the fan-out. Cumulative count per bucket bound.
 */
async function apiReceiptDelay(client: JsonClient): Promise<Record<string, number>> {
  const text = String((await client.call('GET', '/metrics')).body);
  const buckets = text.matchAll(/^pulsecart_stock_event_delay_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm);
  return Object.fromEntries([...buckets].map(([, le, count]) => [`≤${le}s`, Number(count)]));
}

/** Buyers arrive at the given rate; resolves with how many purchases were accepted. */
async function runSale(client: JsonClient, productId: number, options: Options): Promise<number> {
  const secret = loadConfig().JWT_SECRET;
  const tokens = await Promise.all(
    Array.from({ length: options.buyers }, (_, i) => signToken(secret, `sse-bench-${i}`)),
  );
  const json = JSON.stringify({ productId, quantity: 1 });
  const started = performance.now();
  const replies = await Promise.all(
    tokens.map(async (token, i) => {
      await sleep(started + (i * 1000) / options.rate - performance.now());
      return client.call('POST', `/api/v1/${i % 2 === 0 ? 'sync' : 'async'}/purchase`, { token, json });
    }),
  );
  return replies.filter((r) => r.status === 200 || r.status === 202).length;
}

async function main(): Promise<void> {
  useDataFolderSecret();
  const options = readOptions();
  const stamp = timestamp();
  const machine = machineInfo();
  const pulsecart = await spawnPulseCart({
    withWorker: true,
    logPrefix: resultPath(`sse-latency-${stamp}`),
    // A port of its own: a `npm start` worker may hold the default one.
    env: { LOG_LEVEL: 'warn', WORKER_METRICS_PORT: String(await freePort()) },
  });
  const client = new JsonClient(pulsecart.url, 64);
  const delays: number[] = [];
  let subscribers: SseSubscriber[] = [];
  try {
    const admin = await AdminApi.connect(client);
    const product = await admin.createProduct({ name: 'SSE bench', price: 1, stock: options.stock, maxPerUser: 1 });
    console.log(
      `[bench] ${options.subscribers} subscribers watch product ${product.id}; ` +
        `${options.buyers} buyers arrive at ${options.rate}/s for ${options.stock} units`,
    );
    subscribers = await openSubscribers(pulsecart.url, product.id, options.subscribers, delays);
    const started = performance.now();
    const accepted = await runSale(client, product.id, options);
    await Promise.all(subscribers.map((s) => s.until((e) => e.available === 0, SOLD_OUT_TIMEOUT_MS)));
    const eventsPerSubscriber = subscribers.map((s) => s.events.length - 1);
    const report = {
      finishedAt: new Date().toISOString(),
      machine,
      options,
      accepted,
      saleMs: Math.round(performance.now() - started),
      eventsPerSubscriber: { min: Math.min(...eventsPerSubscriber), max: Math.max(...eventsPerSubscriber) },
      everySubscriberEndedOnZero: subscribers.every((s) => s.latest?.available === 0),
      delayMs: summarize(delays),
      apiReceiptDelay: await apiReceiptDelay(client),
    };
    const { p50, p95, p99, max, count } = report.delayMs;
    console.log(
      `[bench] ${accepted} purchases in ${report.saleMs} ms; ${eventsPerSubscriber[0]} events per subscriber ` +
        `(${report.eventsPerSubscriber.min}-${report.eventsPerSubscriber.max}); ` +
        `every subscriber ended on 0: ${report.everySubscriberEndedOnZero}`,
    );
    console.log(
      `[bench] commit to SSE delivery over ${count} deliveries: ` +
        `p50 ${p50} ms, p95 ${p95} ms, p99 ${p99} ms, max ${max} ms`,
    );
    console.log(`[bench] worker to API receipt (cumulative): ${JSON.stringify(report.apiReceiptDelay)}`);
    const file = resultPath(`sse-latency-${stamp}.json`);
    writeJson(file, report);
    console.log(`[bench] wrote ${file}`);
  } finally {
    for (const subscriber of subscribers) subscriber.close();
    await client.close();
    await pulsecart.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
