/** Child processes of a benchmark: started with tsx like `npm start` starts them, logs in files, stopped politely. */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const STOP_TIMEOUT_MS = 15_000;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** Logs go straight to a file: through a pipe, a busy benchmark would slow the child's synchronous log writes. */
export function launch(entry: string, env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  return child;
}

/** Polls `ready` until it is true; fails early if one of the processes exits. */
export async function waitUntil(
  what: string,
  ready: () => Promise<boolean>,
  processes: ChildProcess[],
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const exited = processes.find((p) => p.exitCode !== null);
    if (exited) throw new Error(`${exited.spawnargs.at(-1)} exited with ${exited.exitCode} (see its log)`);
    if (await ready().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms`);
}

export const answers = (url: string) => () => fetch(url).then((res) => res.status < 500);

export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
