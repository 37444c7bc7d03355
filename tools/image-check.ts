/**
 * `npm run image-check [context]`: builds what the Dockerfile builds, without
 * Docker (these machines have none), and runs it.
 *
 * The Dockerfile's build stage is the only list of what goes into the image:
 * its COPY lines are copied from the context (the repository, by default) into
 * an empty folder and its RUN lines run there, as written, in an environment
 * as bare as a Docker build's. Then the image's entry points start from that
 * folder's dist/ with plain node and the runtime stage's ENV, against the real
 * services: migrations run, the API answers /ready with 200 and the worker
 * polls a task queue of its own. Anything else fails the check.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { freePort } from './lib/ports';
import { exited, stopProcess } from './lib/processes';
import { waitForWorker } from './lib/pulsecart';
import { waitUntil } from './lib/wait';
import { ensureEnvironment } from './setup';

const ROOT = path.resolve(__dirname, '..');
const LOG_DIR = path.join(ROOT, 'test-output', 'image-check');
const BUILD_STAGE = 'build';
const ENTRY_POINTS = {
  migrations: 'dist/tools/migrate-cli.js',
  api: 'dist/src/api/main.js',
  worker: 'dist/src/workers/main.js',
};

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  name: string;
  /** The image or stage it starts from. */
  from: string;
  instructions: Instruction[];
}

function log(message: string): void {
  console.log(`[image-check] ${message}`);
}

/** Instructions with their continuation lines joined, grouped by stage. */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const line of lines.map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
    const [keyword, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const [from, , name = from] = rest;
      stages.push({ name, from, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

/** A stage's instructions after those of the stages it is built on. */
function inherited(stages: Stage[], stage: Stage): Instruction[] {
  const parent = stages.find((s) => s.name === stage.from);
  return [...(parent ? inherited(stages, parent) : []), ...stage.instructions];
}

/** Drops an instruction's own flags (--mount=..., --chown=...), which say how Docker runs it, not what. */
const withoutFlags = (args: string) => args.replace(/^(--\S+\s+)+/, '');

function envOf(instructions: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of instructions.filter((i) => i.keyword === 'ENV')) {
    for (const [, key, value] of args.matchAll(/(\w+)=(\S+)/g)) env[key] = value;
  }
  return env;
}

/** The stage's WORKDIR becomes `out`; the COPY sources come from the context. */
function copy(context: string, out: string, workdir: string, args: string): void {
  if (args.includes('--from=')) throw new Error(`COPY ${args}: copying from another stage or image is not reproduced`);
  const sources = withoutFlags(args).split(/\s+/);
  const target = sources.pop() as string;
  const dest = path.join(out, path.relative(workdir, path.resolve(workdir, target)));
  for (const source of sources) {
    const into = sources.length > 1 || target.endsWith('/') ? path.join(dest, path.basename(source)) : dest;
    cpSync(path.join(context, source), into, { recursive: true });
  }
}

function run(out: string, env: Record<string, string>, args: string): void {
  const command = withoutFlags(args);
  if (/^npm ci(\s[^&|;]*)?$/.test(command)) {
    // The repository's own node_modules, installed from the same lockfile (in CI by `npm ci` minutes
    // before): a second install would fetch the registry again for the same files. It holds the
    // devDependencies too, as the build stage's does; the runtime stage's --omit=dev is not reproduced.
    log(`instead of ${command}: node_modules -> ${path.join(ROOT, 'node_modules')}`);
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'));
    return;
  }
  log(`RUN ${command}`);
  const result = spawnSync('sh', ['-c', command], { cwd: out, env, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`RUN ${command} failed with ${result.status ?? result.signal}`);
}

/** Copies and runs the build stage in `out`, an empty folder. */
function build(context: string, stages: Stage[], out: string): void {
  const stage = stages.find((s) => s.name === BUILD_STAGE);
  if (!stage) throw new Error(`the Dockerfile has no stage named ${BUILD_STAGE}`);
  log(`building the ${BUILD_STAGE} stage of ${path.join(context, 'Dockerfile')} in ${out}`);
  const instructions = inherited(stages, stage);
  // Only what a Docker build would see: no DATABASE_URL, NODE_ENV or the like from this shell.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...envOf(instructions) };
  let workdir = '/';
  for (const { keyword, args } of instructions) {
    if (keyword === 'WORKDIR') workdir = path.resolve(workdir, args);
    if (keyword === 'COPY') copy(context, out, workdir, args);
    if (keyword === 'RUN') run(out, env, args);
  }
}

function start(out: string, name: keyof typeof ENTRY_POINTS, env: NodeJS.ProcessEnv): ChildProcess {
  const logFile = path.join(LOG_DIR, `${name}.log`);
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, [ENTRY_POINTS[name]], { cwd: out, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  return child;
}

function tail(name: keyof typeof ENTRY_POINTS): string {
  return readFileSync(path.join(LOG_DIR, `${name}.log`), 'utf8')
    .split('\n')
    .slice(-30)
    .join('\n');
}

/** Starts the image's entry points from the build, as the runtime stage would, and waits until they serve. */
async function serve(out: string, stages: Stage[]): Promise<void> {
  // The image check signs nothing itself: the processes it starts get secrets of their own below.
  const config = loadConfig(process.env, { needsSecret: false });
  const { temporalAddress } = await ensureEnvironment([config.DATABASE_URL]);
  const port = await freePort();
  const taskQueue = `image-check-${randomUUID().slice(0, 8)}`;
  const env = {
    PATH: process.env.PATH,
    ...envOf(inherited(stages, stages.at(-1) as Stage)),
    // The real services this shell's configuration names; production needs a signing secret of its own.
    DATABASE_URL: config.DATABASE_URL,
    REDIS_URL: config.REDIS_URL,
    AMQP_URL: config.AMQP_URL,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE,
    JWT_SECRET: randomBytes(32).toString('hex'),
    PAYLOAD_KEYS: `image-check:${randomBytes(32).toString('base64')}`,
    PORT: String(port),
    WORKER_METRICS_PORT: String(await freePort()),
    TEMPORAL_TASK_QUEUE: taskQueue,
    // A throwaway task queue: the reconciliation schedule stays with the real workers.
    RECONCILE_SCHEDULE: 'false',
  };
  mkdirSync(LOG_DIR, { recursive: true });
  const migrations = start(out, 'migrations', env);
  const migrated = await exited(migrations);
  if (migrated !== 0) throw new Error(`${ENTRY_POINTS.migrations} exited with ${migrated}:\n${tail('migrations')}`);
  log(`${ENTRY_POINTS.migrations} ran`);

  const children = { api: start(out, 'api', env), worker: start(out, 'worker', env) };
  const processes = Object.values(children);
  try {
    const ready = `http://127.0.0.1:${port}/ready`;
    await waitUntil(ready, () => fetch(ready).then((res) => res.status === 200), processes);
    log(`${ENTRY_POINTS.api}: ${ready} answers 200`);
    await waitForWorker(temporalAddress, config.TEMPORAL_NAMESPACE, taskQueue, processes);
    log(`${ENTRY_POINTS.worker}: polls ${taskQueue}`);
  } catch (err) {
    for (const name of ['api', 'worker'] as const) console.error(`--- ${name}.log (tail)\n${tail(name)}`);
    throw err;
  } finally {
    await Promise.all(processes.map(stopProcess));
  }
}

async function main(): Promise<void> {
  const context = path.resolve(process.argv[2] ?? ROOT);
  const stages = parseDockerfile(readFileSync(path.join(context, 'Dockerfile'), 'utf8'));
  const out = mkdtempSync(path.join(os.tmpdir(), 'pulsecart-image-'));
  try {
    build(context, stages, out);
    await serve(out, stages);
  } catch (err) {
    log(`the build is left in ${out}`);
    throw err;
  }
  rmSync(out, { recursive: true, force: true });
  log('the image builds and serves');
}

main().catch((err) => {
  console.error(`[image-check] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
