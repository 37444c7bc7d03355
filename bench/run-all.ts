/**
 * `npm run bench [-- --speed 10 --http-seconds 5 ...]` (`-- --help` lists the options)
 *
 * The ratios that keep PulseCart honest, each measured within this one run
 * (the machines are shared and noisy, so only same-run ratios mean much):
 *   1. sold-out path vs a bare node:http server
 *   2. purchase workflow vs an empty workflow on the same Temporal
 *   3-5. from the default sale (spawned API and worker): workflows per unit
 *        of stock, sync vs async, peak RSS
 * Each prints a table and is appended to bench/results/<timestamp>.json as it
 * finishes; the sale also writes its HTML report. Exits 1 if the sale breaks
 * an invariant.
 */
import { parseArgs } from 'node:util';
import { playSale } from './flash-sale/play';
import { SALE_FLAGS, saleUsage } from './flash-sale/options';
import { positiveInteger } from './lib/args';
import { machineInfo, resultPath, timestamp, writeJson } from './lib/results';
import { printTable } from './lib/table';
import { saleRatios, saleRatioTables } from './ratios/sale-ratios';
import { measureSoldOut, soldOutTable } from './ratios/sold-out';
import { measureWorkflowCost, workflowCostTable } from './ratios/workflow-cost';

/** Flag → [default, help] for the benchmarks before the sale. */
const BENCH_FLAGS: Record<string, [string, string]> = {
  'http-connections': ['64', 'ratio 1: connections, the same to both servers'],
  'http-seconds': ['5', 'ratio 1: seconds per round and server'],
  'http-rounds': ['2', 'ratio 1: alternating rounds'],
  workflows: ['500', 'ratio 2: executions per variant'],
  'workflow-concurrency': ['50', 'ratio 2: executions in flight'],
  'workflow-warmup': ['50', 'ratio 2: warm-up executions per variant'],
};

/** The default sale, compressed tenfold, on an API and a worker of our own (always: ratio 5 measures them). */
const SALE_DEFAULTS = { speed: '10' };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...SALE_FLAGS,
      ...Object.fromEntries(Object.keys(BENCH_FLAGS).map((name) => [name, { type: 'string' as const }])),
      help: { type: 'boolean', short: 'h' },
    },
  }) as { values: Record<string, string | boolean | undefined> };
  if (values.help) {
    const bench = Object.entries(BENCH_FLAGS).map(
      ([name, [value, help]]) => `  --${name.padEnd(20)} ${help} (${value})`,
    );
    console.log(
      `npm run bench -- [options]\n${bench.join('\n')}\nthe sale (--speed 10 and --spawn by default):\n${saleUsage()}`,
    );
    return;
  }
  const flag = (name: string) => positiveInteger(name, String(values[name] ?? BENCH_FLAGS[name][0]));
  const stamp = timestamp();
  const file = resultPath(`${stamp}.json`);
  const results: Record<string, unknown> = { startedAt: new Date().toISOString(), machine: machineInfo(), ratios: {} };
  const ratios = results.ratios as Record<string, unknown>;
  const record = (name: string, value: unknown) => {
    ratios[name] = value;
    writeJson(file, results);
  };

  console.log('[bench] 1. sold-out path vs bare node:http ...');
  const soldOut = await measureSoldOut(
    {
      connections: flag('http-connections'),
      seconds: flag('http-seconds'),
      rounds: flag('http-rounds'),
      logLevel: String(values['log-level'] ?? 'info'),
    },
    resultPath(`${stamp}-sold-out`),
  );
  printTable(soldOutTable(soldOut));
  record('soldOutVsBareHttp', soldOut);

  console.log('\n[bench] 2. purchase workflow vs empty workflow ...');
  const load = { count: flag('workflows'), concurrency: flag('workflow-concurrency'), warmup: flag('workflow-warmup') };
  const workflowCost = await measureWorkflowCost(load, resultPath(`${stamp}-workflows.log`));
  printTable(workflowCostTable(workflowCost));
  record('purchaseVsEmptyWorkflow', workflowCost);

  console.log('\n[bench] 3-5. the default sale ...');
  const { summary } = await playSale({ ...SALE_DEFAULTS, ...values, spawn: true }, stamp);
  saleRatioTables(summary).forEach(printTable);
  results.sale = summary;
  record('sale', saleRatios(summary));
  console.log(`\n[bench] results: ${file}`);
  if (!summary.invariants.passed) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
