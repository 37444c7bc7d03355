/**
 * Builds the storefront and the operator view: web/*.ts bundled by esbuild
 * (type-checked separately by `tsc -p web`), web/*.css, and the HTML pages
 * copied beside them. Takes well under a second, so `npm start` and
 * `npm test` run it every time and never serve a stale page.
 */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, '..');
const SOURCE = path.join(ROOT, 'web');
const ENTRY_POINTS = ['storefront.ts', 'operator.ts', 'styles.css'].map((file) => path.join(SOURCE, file));

export async function buildWeb(outDir: string): Promise<void> {
  const started = performance.now();
  // Relative to the working directory, as the API reads it.
  const out = path.resolve(outDir);
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: ENTRY_POINTS,
    outdir: path.join(out, 'assets'),
    bundle: true,
    format: 'iife',
    target: 'es2022',
    logLevel: 'warning',
  });
  for (const page of readdirSync(SOURCE).filter((file) => file.endsWith('.html'))) {
    copyFileSync(path.join(SOURCE, page), path.join(out, page));
  }
  console.log(`[web] built ${path.relative(ROOT, out)} in ${Math.round(performance.now() - started)} ms`);
}
