/** Tables of benchmark figures: printed as plain text, or rendered into the HTML report. */

export interface Table {
  title: string;
  header: string[];
  rows: string[][];
}

/** First column left-aligned, the rest right-aligned. */
export function formatTable({ title, header, rows }: Table): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const format = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [title, format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(format)].join('\n');
}

export function printTable(table: Table): void {
  console.log(`\n${formatTable(table)}`);
}

export const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(1) : '-');
export const ratio = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}x` : '-');
export const count = (value: number): string => Math.round(value).toLocaleString('en-US');
