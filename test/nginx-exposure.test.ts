/**
 * What nginx (deploy/nginx, used by docker-compose and tools/scale-out.sh)
 * lets the public reach: the API, /health for load balancers, and none of the
 * internal endpoints. Read from the files, then run: Debian's nginx started by
 * tools/scale-out.sh from those same files, in front of a real API.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { freePort } from '../tools/lib/ports';
import { startPulseCart, type Harness } from './support/harness';

const ROOT = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

const INTERNAL = ['/metrics', '/ready'];
/** The API's router ignores case and a trailing slash, so these reach the same handlers. */
const INTERNAL_VARIANTS = ['/METRICS', '/ready/', '/Metrics/'];
const PUBLIC = ['/health', '/api/v1/products/1', '/metrics-board', '/readme'];

describe('nginx in front of the API', () => {
  test('when the config is read, then /metrics and /ready (any case, trailing slash) answer 404 and nothing else does', () => {
    const proxy = read('deploy/nginx/proxy.conf');
    const [, pattern, body] = /location ~\* (\S+) \{([^}]*)\}/.exec(proxy) ?? [];
    const hidden = new RegExp(pattern, 'i');

    expect(body).toMatch(/return 404 /);
    for (const uri of [...INTERNAL, ...INTERNAL_VARIANTS]) expect(uri).toMatch(hidden);
    for (const uri of PUBLIC) expect(uri).not.toMatch(hidden);
  });

  test('when Prometheus scrapes, then it asks the services themselves, never nginx', () => {
    const config = parse(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: { static_configs?: { targets: string[] }[]; dns_sd_configs?: { names: string[] }[] }[];
    };
    const hosts = config.scrape_configs.flatMap((job) => [
      ...(job.static_configs ?? []).flatMap((c) => c.targets.map((target) => target.split(':')[0])),
      ...(job.dns_sd_configs ?? []).flatMap((c) => c.names),
    ]);

    expect(hosts).toContain('api');
    expect(hosts).not.toContain('nginx');
  });

  describe('when nginx runs from those files (tools/scale-out.sh nginx)', () => {
    let h: Harness;
    let nginxUrl: string;
    let runDir: string;
    // Not execFileSync: the API answers from this very process while the script waits for it through nginx.
    const scaleOut = (...args: string[]) =>
      promisify(execFile)('bash', [path.join(ROOT, 'tools/scale-out.sh'), ...args], {
        cwd: ROOT,
        env: {
          ...process.env,
          SCALE_OUT_DIR: runDir,
          SCALE_OUT_LISTEN: new URL(nginxUrl).host,
          SCALE_OUT_API_BASE_PORT: String(Number(new URL(h.baseUrl).port) - 1),
        },
      });

    beforeAll(async () => {
      h = await startPulseCart({ TRUST_PROXY: true }, { withWorker: false });
      nginxUrl = `http://127.0.0.1:${await freePort()}`;
      runDir = mkdtempSync(path.join(tmpdir(), 'pulsecart-nginx-'));
      await scaleOut('nginx', '--apis', '1');
    });
    afterAll(async () => {
      await scaleOut('stop');
      rmSync(runDir, { recursive: true, force: true });
      await h.close();
    });

    test('then /metrics and /ready are 404 through it, while the API itself still serves them', async () => {
      for (const uri of [...INTERNAL, ...INTERNAL_VARIANTS]) {
        const response = await fetch(`${nginxUrl}${uri}`);
        expect({ uri, status: response.status }).toEqual({ uri, status: 404 });
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
      }
      for (const uri of INTERNAL) expect((await fetch(`${h.baseUrl}${uri}`)).status).toBe(200);
    });

    test('then /health and the API answer through it', async () => {
      const { id } = await h.createProduct({ stock: 3 });

      expect((await fetch(`${nginxUrl}/health`)).status).toBe(200);
      const product = await fetch(`${nginxUrl}/api/v1/products/${id}`);
      expect(product.status).toBe(200);
      expect(await product.json()).toMatchObject({ id, stock: 3, available: 3 });
    });
  });
});
