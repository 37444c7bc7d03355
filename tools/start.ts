/**
 * `npm start`: everything on one machine. Ensures PostgreSQL, Redis, RabbitMQ
 * and (unless TEMPORAL_ADDRESS is set) the embedded Temporal dev server,
 * applies migrations, then runs one worker and one API process until stopped.
 * Without JWT_SECRET (or JWT_JWKS_URL) both sign and check tokens with the
 * random secret kept in .data/ (tools/signing-secret.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { loadConfig } from '../src/config';
import { spawnScript } from './lib/processes';
import { ensureEnvironment } from './setup';
import { DATA_FOLDER_SECRET, useDataFolderSecret } from './signing-secret';

function runProcess(name: string, entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawnScript(entry, env, 'inherit');
  child.once('exit', (code, signal) => {
    console.log(`[start] ${name} exited (${signal ?? code})`);
    process.exitCode = code ?? 0;
    stopAll();
  });
  return child;
}

const children: ChildProcess[] = [];

function stopAll(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
}

/** Says where the secret is, never what it is: start logs are pasted into issues. */
function announceSecret(): void {
  const secret = useDataFolderSecret();
  if (!secret) return;
  const made = secret.created ? 'a new random secret' : 'the secret made by an earlier start';
  console.log(`[start] JWT_SECRET is not set: tokens are signed with ${made}, kept in ${DATA_FOLDER_SECRET}`);
}

async function main(): Promise<void> {
  announceSecret();
  const config = loadConfig();
  const environment = await ensureEnvironment([config.DATABASE_URL]);
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: environment.temporalAddress,
    ...(environment.temporalUiUrl ? { TEMPORAL_UI_URL: environment.temporalUiUrl } : {}),
  };
  children.push(runProcess('worker', 'src/workers/main.ts', env), runProcess('api', 'src/api/main.ts', env));
  console.log(
    `[start] API on http://127.0.0.1:${config.PORT}, Temporal Web UI on ${environment.temporalUiUrl || env.TEMPORAL_UI_URL}`,
  );
  process.once('SIGINT', stopAll);
  process.once('SIGTERM', stopAll);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
