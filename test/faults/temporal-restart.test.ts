import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, isListening } from '../../tools/lib/ports';
import { sleep } from '../../tools/lib/wait';
import { UI_CODEC_ENDPOINT, ensureDevServer, type DevServerOptions } from '../../tools/temporal';
import { startPulseCart, type Harness } from '../support/harness';
import { driveSale, expectSaleSurvived } from '../support/sale-driver';

/**
 * The Temporal Service dies (kill -9) in the middle of a sale and comes back
 * on the same SQLite file. A private dev server, so that other suites' server
 * is never touched.
 */
describe('fault: Temporal Service restart', () => {
  let options: Required<DevServerOptions>;
  let pid: number | undefined;
  let h: Harness;

  async function startServer(): Promise<void> {
    ({ pid } = await ensureDevServer(options));
  }

  async function killServer(): Promise<void> {
    if (pid) process.kill(pid, 'SIGKILL');
    while (await isListening(options.ip, options.port)) await sleep(100);
    pid = undefined;
  }

  beforeAll(async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pulsecart-temporal-'));
    options = {
      ip: '127.0.0.1',
      port: await freePort(),
      uiPort: await freePort(),
      uiCodecEndpoint: UI_CODEC_ENDPOINT,
      dataDir,
    };
    await startServer();
    h = await startPulseCart({ TEMPORAL_ADDRESS: `127.0.0.1:${options.port}`, SYNC_DEADLINE_MS: 3000 });
  });
  afterAll(async () => {
    await h.close();
    await killServer();
    rmSync(options.dataDir, { recursive: true, force: true });
  });

  it('when the Temporal Service is killed mid-sale and restarted on its data, then running purchases resume and every one ends', async () => {
    const stock = 60;
    const { id: productId } = await h.createProduct({ stock });
    const running = driveSale(h, { productId, buyers: 200, durationMs: 6000 });

    await sleep(2000);
    await killServer();
    await sleep(2000);
    await startServer();
    const sale = await running;

    const { confirmedQuantity } = await expectSaleSurvived(h, sale, { productId, stock });
    // Buyers turned away during the outage had their units released, so the sale still sold out.
    expect(confirmedQuantity).toBe(stock);
  });
});
