/** PulseCart's own entry points as child processes, for tests that kill or stop them. */
import type { ChildProcess } from 'node:child_process';
import type { Config } from '../../src/config';
import { freePort } from '../../tools/lib/ports';
import { exited, spawnScript } from '../../tools/lib/processes';

export interface RunningProcess {
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
}

/** Starts `src/workers/main.ts` on the harness's task queue and waits until it polls. */
export async function startWorkerProcess(config: Config): Promise<RunningProcess> {
  return startProcess(
    'src/workers/main.ts',
    config,
    { WORKER_METRICS_PORT: String(await freePort()) },
    'worker running',
  );
}

async function startProcess(
  entry: string,
  config: Config,
  extraEnv: Record<string, string>,
  readyMessage: string,
): Promise<RunningProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === 'string' || typeof value === 'number') env[key] = String(value);
  }
  // Readiness is read from the process's own log line.
  Object.assign(env, extraEnv, { LOG_LEVEL: 'info' });
  const child = spawnScript(entry, env, ['ignore', 'pipe', 'inherit']);
  const exit = exited(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} not ready within 60 s`)), 60_000);
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-10_000);
      if (!seen.includes(`"msg":"${readyMessage}"`)) return;
      clearTimeout(timer);
      resolve();
    });
    void exit.then((code) => reject(new Error(`${entry} exited (${code}) before it was ready`)));
  });
  child.stdout!.resume();
  return { child, exited: exit };
}
