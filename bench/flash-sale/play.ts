/** Plays a sale from command-line values and reports it: tables on the console and `<stamp>.html`. */
import { machineInfo, resultPath } from '../lib/results';
import { printTable } from '../lib/table';
import { writeHtmlReport } from './html-report';
import { readSaleOptions } from './options';
import { runSale } from './sale';
import { summarizeSale } from './summary';
import { saleTables } from './tables';

export async function playSale(values: Record<string, string | boolean | undefined>, stamp: string) {
  const options = readSaleOptions(values);
  const machine = machineInfo();
  const summary = summarizeSale(await runSale(options, resultPath(stamp)));
  saleTables(summary).forEach(printTable);
  const html = resultPath(`${stamp}.html`);
  writeHtmlReport(html, summary, `PulseCart flash sale ${stamp}`);
  console.log(`\n[flash-sale] report: ${html}`);
  return { machine, summary };
}
