/**
 * `npm run torture -- [--histories N] [--seed S]`: runs N torture histories
 * (seeds S, S+1, …; a random S unless given) against a PulseCart of its own
 * on the test database, prints every failing one with its replay command, and
 * a summary by check. `--seed S` alone replays that one history.
 * Exits 1 if any history broke a rule.
 */
// The tests' environment: their database and signing secret, rate limits out of the way, no reconcile schedule.
import '../../tools/lib/test-env';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureEnvironment } from '../../tools/setup';
import { describeHistory, generateHistory } from './history';
import { describeFailure, openBench, runHistory, type HistoryResult } from './torture';

const OUTPUT = path.resolve(__dirname, '..', '..', 'test-output', 'torture');

function options(): { seeds: number[] } {
  const { values } = parseArgs({
    options: { histories: { type: 'string' }, seed: { type: 'string' } },
  });
  const histories = Number(values.histories ?? (values.seed !== undefined ? 1 : 10));
  const first = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isInteger(histories) || histories < 1) throw new Error('--histories must be a positive integer');
  if (!Number.isInteger(first)) throw new Error('--seed must be an integer');
  return { seeds: Array.from({ length: histories }, (_, i) => first + i) };
}

function summarise(results: HistoryResult[], elapsedMs: number): string {
  const failed = results.filter((r) => r.violations.length > 0);
  const byCheck = new Map<string, Set<number>>();
  for (const r of failed) {
    for (const v of r.violations) byCheck.set(v.check, (byCheck.get(v.check) ?? new Set()).add(r.history.seed));
  }
  return [
    `${results.length} histories, ${failed.length} failed, ${(elapsedMs / 1000).toFixed(0)} s ` +
      `(${(elapsedMs / 1000 / Math.max(results.length, 1)).toFixed(1)} s per history)`,
    ...[...byCheck].map(([check, seeds]) => `  [${check}] seeds ${[...seeds].join(', ')}`),
  ].join('\n');
}

async function run(): Promise<number> {
  const { seeds } = options();
  const environment = await ensureEnvironment([process.env.DATABASE_URL as string]);
  process.env.TEMPORAL_ADDRESS = environment.temporalAddress;
  const bench = await openBench();
  const began = Date.now();
  const results: HistoryResult[] = [];
  try {
    for (const seed of seeds) {
      const history = generateHistory(seed);
      const result = await runHistory(bench, history);
      results.push(result);
      const verdict = result.violations.length === 0 ? 'ok' : `FAILED (${result.violations.length} violations)`;
      console.log(
        `seed ${seed}: ${verdict} in ${(result.durationMs / 1000).toFixed(1)} s, ${result.accepted} accepted`,
      );
      if (result.violations.length > 0) console.log(describeFailure(result));
      else if (seeds.length === 1) console.log(describeHistory(history));
    }
  } finally {
    // Only the worker process: the API's own clients go with this process. (A sync purchase
    // that outlived its deadline keeps polling Temporal for its result, and would throw on a closed client.)
    await bench.worker.kill('SIGTERM');
  }
  console.log(summarise(results, Date.now() - began));
  mkdirSync(OUTPUT, { recursive: true });
  writeFileSync(path.join(OUTPUT, 'last-run.json'), JSON.stringify(results, null, 2));
  return results.some((r) => r.violations.length > 0) ? 1 : 0;
}

run()
  .then((code) => process.exit(code))
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
