/**
 * SIGTERM in the middle of a sale, to the real API and worker processes as
 * `npm start` runs them: both stop accepting work, finish what is in flight,
 * close their clients and exit 0; a new worker then settles every purchase
 * the API accepted, and every invariant holds.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { freePort, isListening } from '../tools/lib/ports';
import { exited, launch, stopProcess } from '../tools/lib/processes';
import { waitForWorker } from '../tools/lib/pulsecart';
import { waitUntil } from '../tools/lib/wait';
import { startPulseCart, type Harness } from './support/harness';
import { expectSaleInvariants } from './support/invariants';

const LOG_DIR = path.resolve(__dirname, '..', 'test-output');
/** The API answers sync purchases whose workflow outlives this with 202: it bounds the drain. */
const SYNC_DEADLINE_MS = 3000;
const SHUTDOWN_GRACE_MS = 8000;
/** Both processes must be gone by then: the grace and the close of their clients. */
const EXIT_DEADLINE_MS = SHUTDOWN_GRACE_MS + 5000;
/** Once the last request is answered, closing the clients is all that is left. */
const EXIT_AFTER_LAST_ANSWER_MS = 1500;

interface Answer {
  status: number;
  trackingId?: string;
  /** ms since the epoch */
  at: number;
}

/** Sends SIGTERM; resolves with how the process ended and how long it took. */
async function terminate(child: ChildProcess): Promise<{ exit: number | string; ms: number }> {
  const started = Date.now();
  child.kill('SIGTERM');
  return { exit: await exited(child), ms: Date.now() - started };
}

describe('graceful shutdown', () => {
  let h: Harness;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    // Database, Redis and Temporal for the checks, and a worker later; the processes under test do the sale.
    h = await startPulseCart({}, { withWorker: false });
  });
  afterAll(async () => {
    await Promise.all(children.map(stopProcess));
    await h.close();
  });

  async function startProcesses(): Promise<{ api: ChildProcess; worker: ChildProcess; url: string; port: number }> {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const env = {
      ...process.env,
      PORT: String(port),
      WORKER_METRICS_PORT: String(metricsPort),
      TEMPORAL_TASK_QUEUE: h.taskQueue,
      SYNC_DEADLINE_MS: String(SYNC_DEADLINE_MS),
      SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
      LOG_LEVEL: 'info',
      // The API only starts purchases, so that stopping the worker leaves them in flight (eager start: test/eager-start.test.ts).
      EAGER_START: 'false',
    };
    mkdirSync(LOG_DIR, { recursive: true });
    const worker = launch('src/workers/main.ts', env, path.join(LOG_DIR, 'shutdown-worker.log'));
    const api = launch('src/api/main.ts', env, path.join(LOG_DIR, 'shutdown-api.log'));
    children.push(worker, api);
    const url = `http://127.0.0.1:${port}`;
    await waitUntil('the API', () => fetch(`${url}/ready`).then((res) => res.ok), [api, worker]);
    await waitForWorker(h.config.TEMPORAL_ADDRESS, h.config.TEMPORAL_NAMESPACE, h.taskQueue, [api, worker]);
    return { api, worker, url, port };
  }

  it('when the worker and then the API get SIGTERM mid-sale, then what is in flight finishes, both exit 0, and a new worker settles every purchase', async () => {
    const { api, worker, url, port } = await startProcesses();
    const buyers = 40;
    const { id: productId } = await h.createProduct({ stock: buyers });
    const tokens = await Promise.all(Array.from({ length: buyers }, () => h.token(h.buyer())));
    const buy = async (token: string, pattern: 'sync' | 'async'): Promise<Answer> => {
      const response = await fetch(`${url}/api/v1/${pattern}/purchase`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ productId, quantity: 1 }),
      });
      const body = (await response.json()) as { trackingId?: string };
      return { status: response.status, trackingId: body.trackingId, at: Date.now() };
    };
    const wave = (from: number, to: number) =>
      tokens.slice(from, to).map((token, i) => buy(token, i % 2 ? 'async' : 'sync'));

    // The worker stops while it runs the first wave's workflows.
    const first = wave(0, buyers / 2);
    await Promise.race(first);
    const workerStop = await terminate(worker);

    // No worker now: the second wave's sync buyers wait for workflows nobody runs, until the sync deadline.
    const second = wave(buyers / 2, buyers);
    await Promise.all(second.filter((_, i) => i % 2));
    const watcher = await fetch(`${url}/api/v1/stock/stream?productId=${productId}`);
    const streamEnded = watcher.text().then(() => Date.now());
    const apiStop = terminate(api);
    const signalledAt = Date.now();
    await waitUntil('the API to close its port', async () => !(await isListening('127.0.0.1', port)), []);
    const closedAt = Date.now();
    const waiting = await Promise.all(second.filter((_, i) => i % 2 === 0));
    const answers = [...(await Promise.all(first)), ...(await Promise.all(second))];
    const lastAnswerAt = Math.max(...answers.map((answer) => answer.at));

    expect(workerStop).toEqual({ exit: 0, ms: expect.any(Number) });
    expect(workerStop.ms).toBeLessThan(EXIT_DEADLINE_MS);
    const { exit, ms } = await apiStop;
    expect(exit).toBe(0);
    // Not held open by the stock stream, nor by idle keep-alive connections waiting for their timeout.
    expect(signalledAt + ms - lastAnswerAt).toBeLessThan(EXIT_AFTER_LAST_ANSWER_MS);
    expect(await streamEnded).toBeLessThan(lastAnswerAt);
    expect(closedAt - signalledAt).toBeLessThan(SYNC_DEADLINE_MS);
    // Answered after the port closed: in flight through the drain, past the sync deadline, as 202.
    for (const answer of waiting)
      expect({ status: answer.status, late: answer.at >= closedAt }).toEqual({ status: 202, late: true });
    for (const answer of answers) expect([200, 202]).toContain(answer.status);

    await h.startWorker();
    const { confirmedQuantity } = await expectSaleInvariants(h, {
      productId,
      initialStock: buyers,
      maxPerUser: 1,
      accepted: answers.map((answer) => answer.trackingId as string),
    });
    expect(confirmedQuantity).toBe(buyers);
  });
});
