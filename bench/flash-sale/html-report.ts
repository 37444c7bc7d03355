/**
 * The sale as one self-contained HTML file: the tables, and Chart.js (inlined
 * from node_modules) drawing the series that summary.ts computed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Table } from '../lib/table';
import type { SaleSummary } from './summary';
import { saleTables } from './tables';

/** The UMD build sits beside the package's main entry; the package does not export its path. */
const chartJs = () => path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
const PAGE_SCRIPT = path.join(__dirname, 'report-page.js');

const escapeHtml = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

/** Inline scripts must not close their own tag. */
const inlineScript = (code: string) => code.replace(/<\/script/gi, '<\\/script');

function tableHtml({ title, header, rows }: Table): string {
  const cells = (tag: string, values: string[]) => values.map((v) => `<${tag}>${escapeHtml(v)}</${tag}>`).join('');
  const body = rows.map((row) => `<tr>${cells('td', row)}</tr>`).join('\n');
  return `<table><caption>${escapeHtml(title)}</caption><tr>${cells('th', header)}</tr>\n${body}</table>`;
}

function chartHtml(id: string, title: string): string {
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><canvas id="${id}"></canvas></figure>`;
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #111; }
h1 { font-size: 1.4rem; }
.verdict { font-weight: 600; padding: .5rem 1rem; border-radius: 4px; display: inline-block; }
.pass { background: #dcfce7; } .fail { background: #fee2e2; }
table { border-collapse: collapse; margin: 1rem 0 2rem; }
caption { text-align: left; font-weight: 600; padding-bottom: .3rem; }
th, td { padding: .2rem .7rem; border-bottom: 1px solid #e5e5e5; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1rem 0 2.5rem; } figcaption { font-weight: 600; margin-bottom: .5rem; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 0 2rem; }
`;

export function writeHtmlReport(file: string, summary: SaleSummary, title: string): void {
  const { invariants } = summary;
  const verdict = invariants.passed
    ? '<p class="verdict pass">Every invariant of DESIGN.md holds.</p>'
    : `<p class="verdict fail">${invariants.violationCount} invariant violations (listed below).</p>`;
  const patterns = ['sync', 'async', 'poll'].filter((p) => p in summary.latency);
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
${verdict}
${chartHtml('rates', 'Answers per second by outcome, and purchases confirmed')}
${chartHtml('stock', 'Stock over time: PostgreSQL and Redis (sampled), and as the first SSE subscriber saw it')}
<div class="grid">${patterns.map((p) => chartHtml(`histogram-${p}`, `Latency of ${p} requests by outcome`)).join('\n')}</div>
${chartHtml('cpu', 'CPU by process (cores)')}
${saleTables(summary).map(tableHtml).join('\n')}
<script>${inlineScript(readFileSync(chartJs(), 'utf8'))}</script>
<script id="sale-data" type="application/json">${JSON.stringify(summary.charts).replace(/</g, '\\u003c')}</script>
<script>${inlineScript(readFileSync(PAGE_SCRIPT, 'utf8'))}</script>
</body></html>
`;
  writeFileSync(file, html);
}
