/**
 * Finds, builds and launches the official Temporal CLI's dev server
 * (`temporal server start-dev`): the real Temporal Service with SQLite and the
 * Web UI in one process. Tooling only: the application knows TEMPORAL_ADDRESS.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { isListening } from './lib/ports';
import { sleep } from './lib/wait';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
const ROOT = path.resolve(__dirname, '..');
const CACHE_DIR = path.join(ROOT, '.cache', 'temporal', TEMPORAL_CLI_VERSION);

export const SEARCH_ATTRIBUTES = ['ProductId', 'UserId'];

/**
 * Dynamic config for one small machine. One task-queue partition: with a
 * single matching host, partitions only add forwarding hops between them.
 * The version check phones home, which these machines cannot do. The
 * priority matcher honours task-queue priority (Temporal 1.29 leaves it off):
 * sync purchases are matched before async ones (src/workflows/shared.ts).
 */
export const DYNAMIC_CONFIG: Record<string, string> = {
  'matching.numTaskqueueReadPartitions': '1',
  'matching.numTaskqueueWritePartitions': '1',
  'frontend.enableServerVersionCheck': 'false',
  'matching.useNewMatcher': 'true',
};

/** WAL lets readers (visibility, UI) run beside the writer; NORMAL sync is crash-safe for the process. */
const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'];

/**
 * Where `npm start`'s API decodes payloads for the Web UI (src/api/routes/codec.ts): PulseCart encrypts them,
 * and the UI asks this endpoint to show them in the clear.
 */
export const UI_CODEC_ENDPOINT = 'http://127.0.0.1:3000/codec';

export interface DevServerOptions {
  ip?: string;
  port?: number;
  uiPort?: number;
  /** The Web UI's codec endpoint; UI_CODEC_ENDPOINT by default. */
  uiCodecEndpoint?: string;
  /** Folder for the SQLite file and the server log. */
  dataDir?: string;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  /** The process we started, or undefined when a server was already listening. */
  pid?: number;
}

function log(message: string): void {
  console.log(`[temporal] ${message}`);
}

function onPath(binary: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** TEMPORAL_CLI_PATH, then a `temporal` on PATH, then our cached build (built on first use). */
export function ensureCli(): string {
  if (process.env.TEMPORAL_CLI_PATH) return process.env.TEMPORAL_CLI_PATH;
  const fromPath = onPath('temporal');
  if (fromPath) return fromPath;
  const cached = path.join(CACHE_DIR, 'temporal');
  if (existsSync(cached)) return cached;
  if (!onPath('go')) {
    throw new Error(
      'No Temporal CLI found and no Go toolchain to build one: install Go, set TEMPORAL_CLI_PATH, or set TEMPORAL_ADDRESS',
    );
  }
  log(`building the Temporal CLI ${TEMPORAL_CLI_VERSION} from the Go module proxy (a few minutes, once)`);
  mkdirSync(CACHE_DIR, { recursive: true });
  const build = spawnSync('go', ['install', `${CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
    stdio: 'inherit',
    env: { ...process.env, GOBIN: CACHE_DIR, CGO_ENABLED: '0' },
  });
  if (build.status !== 0 || !existsSync(cached)) throw new Error(`go install ${CLI_MODULE} failed`);
  return cached;
}

/** Waits until the frontend answers a real RPC about the namespace, not just a TCP connect. */
export async function waitForFrontend(address: string, timeoutMs = 60_000, namespace = 'default'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await sleep(500);
    }
  }
  throw new Error(`Temporal at ${address} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}

export function startDevServerArgs(options: Required<DevServerOptions>): string[] {
  return [
    'server',
    'start-dev',
    '--ip',
    options.ip,
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--ui-codec-endpoint',
    options.uiCodecEndpoint,
    '--db-filename',
    path.join(options.dataDir, 'temporal.sqlite'),
    '--namespace',
    'default',
    '--log-level',
    'warn',
    ...SEARCH_ATTRIBUTES.flatMap((name) => ['--search-attribute', `${name}=Keyword`]),
    ...Object.entries(DYNAMIC_CONFIG).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${value}`]),
    ...SQLITE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma]),
  ];
}

/**
 * Reuses a server already listening on the port, else starts one detached
 * (it outlives this process, like a service) and waits until it answers.
 */
export async function ensureDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const resolved: Required<DevServerOptions> = {
    ip: options.ip ?? '127.0.0.1',
    port: options.port ?? 7233,
    uiPort: options.uiPort ?? 8233,
    uiCodecEndpoint: options.uiCodecEndpoint ?? UI_CODEC_ENDPOINT,
    dataDir: options.dataDir ?? path.join(ROOT, '.data', 'temporal'),
  };
  const address = `${resolved.ip}:${resolved.port}`;
  const uiUrl = `http://${resolved.ip}:${resolved.uiPort}`;
  if (await isListening(resolved.ip, resolved.port)) {
    await waitForFrontend(address);
    return { address, uiUrl };
  }
  const cli = ensureCli();
  mkdirSync(resolved.dataDir, { recursive: true });
  const logFile = path.join(resolved.dataDir, 'server.log');
  const out = openSync(logFile, 'a');
  log(`starting ${cli} server start-dev on ${address} (log: ${logFile})`);
  const child = spawn(cli, startDevServerArgs(resolved), {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' },
  });
  child.unref();
  await waitForFrontend(address);
  log(`ready: frontend ${address}, Web UI ${uiUrl}`);
  return { address, uiUrl, pid: child.pid };
}
