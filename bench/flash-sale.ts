/**
 * `npm run flash-sale [-- --spawn --speed 10 ...]` (`-- --help` lists the options)
 *
 * Plays a flash sale against PulseCart: creates a product through the admin
 * API, mints a token per buyer, replays the crowd, then checks every
 * invariant of DESIGN.md. Writes bench/results/<timestamp>.json and .html;
 * exits 1 if any invariant is violated.
 */
import { parseArgs } from 'node:util';
import { playSale } from './flash-sale/play';
import { SALE_FLAGS, saleUsage } from './flash-sale/options';
import { resultPath, timestamp, writeJson } from './lib/results';
import { useDataFolderSecret } from '../tools/signing-secret';

async function main(): Promise<void> {
  useDataFolderSecret();
  const { values } = parseArgs({ options: { ...SALE_FLAGS, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(`npm run flash-sale -- [options]\n${saleUsage()}`);
    return;
  }
  const stamp = timestamp();
  const { machine, summary } = await playSale(values, stamp);
  const json = resultPath(`${stamp}.json`);
  writeJson(json, { finishedAt: new Date().toISOString(), machine, sale: summary });
  console.log(`[flash-sale] results: ${json}`);
  if (!summary.invariants.passed) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
