/**
 * Rolling out a new API release behind nginx, as docs/operations.md tells
 * operators to: two real APIs, the old release ("blue") and the new one
 * ("green"), each naming itself in the X-PulseCart-Release header, behind
 * Debian's nginx run by tools/scale-out.sh from deploy/nginx. The share of
 * requests each release answers is counted through nginx.
 */
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../tools/lib/ports';
import { startPulseCart, type Harness } from './support/harness';
import { scaleOut as scaleOutAt } from './support/scale-out';

const ROOT = path.resolve(__dirname, '..');
const REQUESTS = 200;

/** Whether nothing listens on the port (and we may). */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** scale-out.sh puts API i on base + i: two free ports in a row after base. */
async function twoPortsInARow(): Promise<number> {
  for (;;) {
    const base = await freePort();
    if ((await canListen(base + 1)) && (await canListen(base + 2))) return base;
  }
}

/**
 * A new connection each time: what nginx decides per request, not a kept-alive connection's history. Over https,
 * trusting the development CA that the set-up made (.data/tls), as nginx serves only TLS.
 */
function releaseOf(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { agent: false, ca }, (response) => {
        response.resume();
        response.on('end', () => resolve(String(response.headers['x-pulsecart-release'])));
      })
      .on('error', reject);
  });
}

describe('rolling out a new API release behind nginx (tools/scale-out.sh rollout)', () => {
  let blue: Harness;
  let green: Harness;
  let nginxUrl: string;
  let runDir: string;
  let apiBasePort: number;
  const scaleOut = (...args: string[]) => scaleOutAt({ runDir, listen: new URL(nginxUrl).host, apiBasePort }, ...args);

  /** The share of REQUESTS through nginx that the green release answered; any other answer fails the test. */
  async function greenShare(): Promise<number> {
    const releases: string[] = [];
    const ca = readFileSync(path.join(ROOT, '.data/tls/ca.crt'), 'utf8');
    for (let i = 0; i < REQUESTS; i += 1) releases.push(await releaseOf(`${nginxUrl}/health`, ca));
    expect(releases.filter((release) => release !== 'blue' && release !== 'green')).toEqual([]);
    return releases.filter((release) => release === 'green').length / REQUESTS;
  }

  beforeAll(async () => {
    apiBasePort = await twoPortsInARow();
    blue = await startPulseCart({ RELEASE: 'blue', PORT: apiBasePort + 1, TRUST_PROXY: true }, { withWorker: false });
    green = await startPulseCart({ RELEASE: 'green', PORT: apiBasePort + 2, TRUST_PROXY: true }, { withWorker: false });
    nginxUrl = `https://127.0.0.1:${await freePort()}`;
    runDir = mkdtempSync(path.join(tmpdir(), 'pulsecart-rollout-'));
    await scaleOut('nginx', '--apis', '2');
  });
  afterAll(async () => {
    await scaleOut('stop');
    rmSync(runDir, { recursive: true, force: true });
    await Promise.all([blue?.close(), green?.close()]);
  });

  test('when nginx balances both releases without a rollout, then each answers half', async () => {
    expect(await greenShare()).toBeCloseTo(0.5, 1);
  });

  test('when green is given 20%, then a fifth of the requests reach it; at 100 all do; at 0 (rollback) none', async () => {
    await scaleOut('rollout', '--apis', '2', '--api-weight', '20');
    const canary = await greenShare();
    expect(canary).toBeGreaterThanOrEqual(0.15);
    expect(canary).toBeLessThanOrEqual(0.25);

    await scaleOut('rollout', '--apis', '2', '--api-weight', '100');
    expect(await greenShare()).toBe(1);

    await scaleOut('rollout', '--apis', '2', '--api-weight', '0');
    expect(await greenShare()).toBe(0);
  });

  test('when nginx is reloaded after a rollout (scale-out.sh nginx), then the rollout weight stays', async () => {
    await scaleOut('rollout', '--apis', '2', '--api-weight', '100');
    await scaleOut('nginx', '--apis', '2');
    expect(await greenShare()).toBe(1);
  });
});
