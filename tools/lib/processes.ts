/**
 * PulseCart's own scripts as child processes: started under tsx as `npm start`
 * starts them, from the repository's root, and stopped politely.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const STOP_TIMEOUT_MS = 15_000;

/**
 * Node flags an entry point runs with, wherever it is started (here, package.json, tools/scale-out.sh, the
 * Dockerfile and compose). The API's young generation is 64 MiB a semi-space instead of 16: a request that waits
 * behind a crowd then dies young instead of being promoted, which took the API's CPU per request in the default
 * sale from about 165 to 135-140 µs (docs/performance.md). The worker gained nothing from it, only memory.
 */
export const NODE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  'src/api/main.ts': ['--max-semi-space-size=64'],
};

/** Runs a TypeScript entry point (a path from the repository's root) in a new Node process. */
export function spawnScript(entry: string, env: NodeJS.ProcessEnv, stdio: StdioOptions): ChildProcess {
  // PULSECART_CPU_PROFILE_DIR: each process writes a V8 CPU profile there when it exits (open it in Chrome DevTools).
  const profile = env.PULSECART_CPU_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${env.PULSECART_CPU_PROFILE_DIR}`]
    : [];
  // PULSECART_HEAP_SNAPSHOT_DIR: `kill -USR2 <pid>` makes the process write a heap snapshot there (what it retains).
  const snapshots = env.PULSECART_HEAP_SNAPSHOT_DIR
    ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${env.PULSECART_HEAP_SNAPSHOT_DIR}`]
    : [];
  const flags = [...(NODE_FLAGS[entry] ?? []), ...profile, ...snapshots];
  return spawn(process.execPath, [...flags, '--import', 'tsx', path.join(ROOT, entry)], { cwd: ROOT, env, stdio });
}

/** Logs go straight to a file: through a pipe, a busy benchmark would slow the child's synchronous log writes. */
export function launch(entry: string, env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  const log = openSync(logFile, 'a');
  const child = spawnScript(entry, env, ['ignore', log, log]);
  closeSync(log);
  return child;
}

const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** Resolves with the exit code, or the name of the signal that ended the process. */
export function exited(child: ChildProcess): Promise<number | string> {
  if (hasExited(child)) return Promise.resolve(child.exitCode ?? (child.signalCode as string));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal as string))));
}

/** SIGTERM, and SIGKILL if the process is still there after STOP_TIMEOUT_MS. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const ended = exited(child);
  const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  child.kill('SIGTERM');
  await ended;
  clearTimeout(kill);
}
