/**
 * The documentation stays true to the tree: a short README, no dead relative
 * link, the generated tables of docs/performance.md as the committed figures
 * render them, and every configuration key documented. Reads files only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { blockNames, FIGURE_NAMES, PERFORMANCE_MD, ROOT, unknownFigureFiles } from '../tools/lib/figures';

const README = path.join(ROOT, 'README.md');
const DOCS = path.join(ROOT, 'docs');
const MARKDOWN = [
  README,
  ...readdirSync(DOCS)
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join(DOCS, f)),
];

const read = (file: string) => readFileSync(file, 'utf8');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '');
  const headings = [...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1]);
  return new Set(
    headings.map((h) =>
      h
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

/** Relative link targets outside code blocks and code spans: `[text](target)`. */
function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((target) => !/^[a-z]+:/i.test(target));
}

describe('the documentation', () => {
  it('when a newcomer opens README.md, then it is at most 200 lines', () => {
    expect(read(README).split('\n').length).toBeLessThanOrEqual(200);
  });

  it('when a relative link in README.md or docs/*.md is followed, then its file (and heading) exists', () => {
    const dead: string[] = [];
    for (const file of MARKDOWN) {
      for (const target of relativeLinks(read(file))) {
        const [ref, anchor] = target.split('#');
        const resolved = ref ? path.resolve(path.dirname(file), ref) : file;
        const where = `${path.relative(ROOT, file)} → ${target}`;
        if (!existsSync(resolved)) dead.push(where);
        else if (anchor && resolved.endsWith('.md') && !anchors(read(resolved)).has(anchor)) dead.push(where);
      }
    }
    expect(dead).toEqual([]);
  });

  it('when docs/performance.md is rendered from docs/figures, then nothing changes (npm run bench:report)', () => {
    expect([...blockNames(read(PERFORMANCE_MD))].sort()).toEqual([...FIGURE_NAMES].sort());
    expect(unknownFigureFiles()).toEqual([]);
    // In a process of its own: Prettier loads its markdown printer with import(), which jest's VM refuses.
    const check = spawnSync(process.execPath, ['--import', 'tsx', 'bench/report.ts', '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('when a key is read by src/config.ts, then docs/configuration.md documents it', () => {
    const keys = [...read(path.join(ROOT, 'src', 'config.ts')).matchAll(/^ {4}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
    const documented = read(path.join(DOCS, 'configuration.md'));
    expect(keys.length).toBeGreaterThan(0);
    const documentedKey = (key: string) =>
      documented.includes(`\`${key}\``) ||
      documented.includes(`\`${key.replace(/^(RATE_LIMIT_\w+?)_DURATION_S$/, '$1_POINTS')}\``);
    expect(keys.filter((key) => !documentedKey(key))).toEqual([]);
  });
});
