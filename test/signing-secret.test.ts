import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { dataFolderSecret } from '../tools/signing-secret';
import { startPulseCart } from './support/harness';

/**
 * The HS256 secret is at least 32 bytes and never a value written in the
 * code: the API and worker refuse to start without one, and `npm start` /
 * `npm run token` share a random one kept in the data folder.
 */

const ROOT = path.resolve(__dirname, '..');
const DATA_FOLDER_SECRET = path.join(ROOT, '.data', 'jwt-secret');
/** The test environment (test/support/env.ts) without a secret. */
const NO_SECRET = { ...process.env, JWT_SECRET: undefined, JWT_JWKS_URL: undefined };

function run(entry: string, env: NodeJS.ProcessEnv, args: string[] = []) {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, entry), ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    // Long enough to fail on configuration; a process that starts instead is stopped here.
    timeout: 30_000,
  });
}

describe('the JWT_SECRET configuration', () => {
  it.each([
    ['31 ASCII characters', 'a'.repeat(31)],
    ['16 characters but 31 bytes', `${'é'.repeat(15)}a`],
  ])('when JWT_SECRET is %s, then the configuration is refused: HS256 wants 32 bytes', (_case, secret) => {
    expect(() => loadConfig({ JWT_SECRET: secret })).toThrow(/JWT_SECRET.*32 bytes/);
  });

  it('when JWT_SECRET is 16 characters of 2 bytes each, then it is accepted: bytes count, not characters', () => {
    expect(loadConfig({ JWT_SECRET: 'é'.repeat(16) }).JWT_SECRET).toBe('é'.repeat(16));
  });

  it.each([['development'], ['test'], ['production'], [undefined]])(
    'when NODE_ENV is %s and no secret is set, then the configuration is refused: there is no fallback secret',
    (nodeEnv) => {
      expect(() => loadConfig({ NODE_ENV: nodeEnv })).toThrow(/JWT_SECRET: required unless JWT_JWKS_URL is set/);
    },
  );

  it('when a tool that never signs a token (migrations, the web build) loads it without a secret, then it loads; a short one is still refused', () => {
    expect(loadConfig({}, { needsSecret: false }).JWT_SECRET).toBeUndefined();
    expect(() => loadConfig({ JWT_SECRET: 'short' }, { needsSecret: false })).toThrow(/JWT_SECRET.*32 bytes/);
  });

  it('when JWT_JWKS_URL is set, then no secret is needed: tokens are RS256 from the key set', () => {
    expect(loadConfig({ JWT_JWKS_URL: 'https://id.pulsecart.test/jwks.json' }).JWT_SECRET).toBeUndefined();
  });
});

describe('the entry points without a secret', () => {
  it.each([['src/api/main.ts'], ['src/workers/main.ts']])(
    'when %s starts in development with no JWT_SECRET, then it exits at once with a configuration error',
    (entry) => {
      const started = run(entry, {
        ...NO_SECRET,
        NODE_ENV: 'development',
        // Should it start after all, it stays off every port and task queue in use.
        PORT: '0',
        WORKER_METRICS_PORT: String(20_000 + Math.floor(Math.random() * 10_000)),
        TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
      });

      expect(started.signal).toBeNull();
      expect(started.status).not.toBe(0);
      expect(started.stderr).toMatch(/Invalid configuration: JWT_SECRET: required unless JWT_JWKS_URL is set/);
    },
  );
});

describe('the data folder secret', () => {
  let folder: string;
  beforeEach(() => (folder = mkdtempSync(path.join(tmpdir(), 'pulsecart-secret-'))));
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('when there is none, then a random one is made, readable by its owner only, and every later start reuses it', () => {
    const file = path.join(folder, 'data', 'jwt-secret');

    const first = dataFolderSecret(file);
    const again = dataFolderSecret(file);
    const elsewhere = dataFolderSecret(path.join(folder, 'another-secret'));

    expect(first.created).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(() => loadConfig({ JWT_SECRET: first.secret })).not.toThrow();
    expect(again).toEqual({ secret: first.secret, created: false });
    expect(elsewhere.secret).not.toBe(first.secret);
  });
});

describe('npm run token without JWT_SECRET', () => {
  it('when JWT_SECRET is unset, then it signs with the data folder secret (0600, 32+ bytes) that an API with it accepts', async () => {
    const userId = `token-cli-${randomUUID()}`;

    const printed = run('tools/token.ts', { ...NO_SECRET, NODE_ENV: 'development' }, [userId]);
    const secret = readFileSync(DATA_FOLDER_SECRET, 'utf8');
    const h = await startPulseCart({ JWT_SECRET: secret }, { withWorker: false });
    try {
      const answer = await h.request('GET', `/api/v1/purchases/${randomUUID()}`, { token: printed.stdout.trim() });

      expect(printed.status).toBe(0);
      expect(statSync(DATA_FOLDER_SECRET).mode & 0o777).toBe(0o600);
      expect(Buffer.byteLength(secret)).toBeGreaterThanOrEqual(32);
      expect(answer.status).toBe(404);
    } finally {
      await h.close();
    }
  });
});
