/**
 * What nginx (deploy/nginx, used by docker-compose and tools/scale-out.sh)
 * lets the public reach, and how: HTTPS only (HTTP/2, TLS 1.2+, HSTS), the
 * API, /health for load balancers, and none of the internal endpoints. Read
 * from the files, then run: Debian's nginx started by tools/scale-out.sh from
 * those same files, in front of a real API, with the development certificate
 * tools/dev-tls.sh makes; clients trust its CA, as a user's would.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Agent, fetch } from 'undici';
import { parse } from 'yaml';
import { freePort } from '../tools/lib/ports';
import { startPulseCart, type Harness } from './support/harness';
import { scaleOut as scaleOutAt } from './support/scale-out';

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
    let ca: string;
    let trusting: Agent;
    /** Through nginx, trusting the development CA. */
    const get = (uri: string, init: Parameters<typeof fetch>[1] = {}) =>
      fetch(`${nginxUrl}${uri}`, { ...init, dispatcher: trusting });
    const scaleOut = (...args: string[]) =>
      scaleOutAt({ runDir, listen: new URL(nginxUrl).host, apiBasePort: Number(new URL(h.baseUrl).port) - 1 }, ...args);

    beforeAll(async () => {
      h = await startPulseCart({ TRUST_PROXY: true }, { withWorker: false });
      nginxUrl = `https://127.0.0.1:${await freePort()}`;
      runDir = mkdtempSync(path.join(tmpdir(), 'pulsecart-nginx-'));
      await scaleOut('nginx', '--apis', '1');
      ca = readFileSync(path.join(ROOT, '.data/tls/ca.crt'), 'utf8');
      trusting = new Agent({ connect: { ca } });
    });
    afterAll(async () => {
      await trusting?.close();
      await scaleOut('stop');
      rmSync(runDir, { recursive: true, force: true });
      await h.close();
    });

    test('then /metrics and /ready are 404 through it, while the API itself still serves them', async () => {
      for (const uri of [...INTERNAL, ...INTERNAL_VARIANTS]) {
        const response = await get(uri);
        expect({ uri, status: response.status }).toEqual({ uri, status: 404 });
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
      }
      for (const uri of INTERNAL) expect((await fetch(`${h.baseUrl}${uri}`)).status).toBe(200);
    });

    test('then /health and the API answer through it', async () => {
      const { id } = await h.createProduct({ stock: 3 });

      expect((await get('/health')).status).toBe(200);
      const product = await get(`/api/v1/products/${id}`);
      expect(product.status).toBe(200);
      expect(await product.json()).toMatchObject({ id, stock: 3, available: 3 });
    });

    test("then every answer, the API's and nginx's own, carries exactly one HSTS header", async () => {
      for (const uri of ['/health', '/metrics', '/nginx-health']) {
        const response = await get(uri);
        expect({ uri, hsts: response.headers.get('strict-transport-security') }).toEqual({
          uri,
          hsts: 'max-age=63072000',
        });
      }
    });

    test('then a client that does not trust the development CA refuses the certificate', async () => {
      const untrusting = new Agent();
      try {
        const error = await fetch(`${nginxUrl}/health`, { dispatcher: untrusting }).catch((err: Error) => err);
        expect((error as Error & { cause?: { code?: string } }).cause?.code).toMatch(/CERT|SIGNATURE|ISSUER/);
      } finally {
        await untrusting.close();
      }
    });

    test('then it speaks HTTP/2 (ALPN h2) to a client that offers it', async () => {
      const session = http2.connect(nginxUrl, { ca });
      try {
        const status = await new Promise<unknown>((resolve, reject) => {
          const stream = session.request({ ':path': '/health' });
          stream.on('response', (headers) => resolve(headers[':status']));
          stream.on('error', reject);
          stream.end();
        });
        expect({ alpn: session.alpnProtocol, status }).toEqual({ alpn: 'h2', status: 200 });
      } finally {
        session.close();
      }
    });

    const handshake = (options: tls.ConnectionOptions) =>
      new Promise<string>((resolve, reject) => {
        const { hostname, port } = new URL(nginxUrl);
        const socket = tls.connect({ host: hostname, port: Number(port), ca, ...options }, () => {
          resolve(socket.getProtocol() ?? 'none');
          socket.end();
        });
        socket.once('error', reject);
      });

    test('then TLS 1.2 and 1.3 connect, and TLS 1.1 is refused by nginx with a protocol_version alert', async () => {
      expect(await handshake({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' })).toBe('TLSv1.2');
      expect(await handshake({ minVersion: 'TLSv1.3' })).toBe('TLSv1.3');
      // This client would speak TLS 1.1 (weak ciphers allowed): the refusal is the server's.
      await expect(
        handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }),
      ).rejects.toMatchObject({ code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
    });

    test('then plain HTTP on its port redirects a GET to the same URL over https and refuses a POST', async () => {
      const plain = nginxUrl.replace(/^https:/, 'http:');

      const page = await fetch(`${plain}/api/v1/products/1?x=1`, { redirect: 'manual' });
      expect(page.status).toBe(301);
      expect(page.headers.get('location')).toBe(`${nginxUrl}/api/v1/products/1?x=1`);

      const purchase = await fetch(`${plain}/api/v1/sync/purchase`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ productId: 1, quantity: 1 }),
      });
      expect(purchase.status).toBe(403);
      expect(((await purchase.json()) as { error: { code: string } }).error.code).toBe('HTTPS_REQUIRED');
    });
  });
});
