import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, isListening } from '../../tools/lib/ports';
import { sleep } from '../../tools/lib/wait';
import { startPulseCart, type Harness } from '../support/harness';
import { driveSale, expectSaleSurvived } from '../support/sale-driver';

/**
 * Redis restarts mid-sale and comes back empty. A private redis-server with
 * no persistence, so the loss is real and other suites' Redis is untouched.
 */
describe('fault: Redis restarts and loses its data', () => {
  let port: number;
  let redis: ChildProcess | undefined;
  let h: Harness;

  async function startRedis(): Promise<void> {
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    while (!(await isListening('127.0.0.1', port))) await sleep(50);
  }

  async function killRedis(): Promise<void> {
    const stopping = redis;
    redis = undefined;
    if (!stopping) return;
    const exited = new Promise((resolve) => stopping.once('exit', resolve));
    stopping.kill('SIGKILL');
    await exited;
  }

  beforeAll(async () => {
    port = await freePort();
    await startRedis();
    h = await startPulseCart({ REDIS_URL: `redis://127.0.0.1:${port}`, SYNC_DEADLINE_MS: 3000 });
  });
  afterAll(async () => {
    await h.close();
    await killRedis();
  });

  it('when Redis comes back empty mid-sale, then the gate stays closed until stock is rebuilt from PostgreSQL and purchases in flight, and nothing is oversold', async () => {
    const stock = 60;
    const { id: productId } = await h.createProduct({ stock });
    const running = driveSale(h, { productId, buyers: 240, durationMs: 6000 });

    await sleep(1500);
    await killRedis();
    await sleep(1000);
    await startRedis();
    const sale = await running;

    const closed = sale.responses.filter((r) => r.status === 503 && r.body.error.code === 'STOCK_UNAVAILABLE');
    expect(closed.length).toBeGreaterThan(0);

    // Purchases that ended while Redis was empty could not release into it:
    // the rebuild counted them as in flight, and the next reconciliation frees them.
    const reconcile = async () => {
      const admin = await h.adminToken();
      const report = await h.request('POST', '/api/v1/admin/reconcile', {
        token: admin,
        body: { productIds: [productId] },
      });
      expect(report.status).toBe(200);
    };
    await expectSaleSurvived(h, sale, { productId, stock, atRest: reconcile });
  });
});
