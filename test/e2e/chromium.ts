/**
 * Debian's Chromium (installed by tools/services.sh) driven by playwright-core:
 * headless, with a fresh profile, and nothing that phones home.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const EXECUTABLE = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'test-output', 'e2e');

export interface Browser {
  context: BrowserContext;
  /** Uncaught errors of every page, which a test expects to stay empty. */
  pageErrors: Error[];
  newPage(): Promise<Page>;
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(EXECUTABLE)) {
    throw new Error(`${EXECUTABLE} is missing: run \`bash tools/services.sh\` as root (it installs Debian's chromium)`);
  }
  const profile = mkdtempSync(path.join(os.tmpdir(), 'pulsecart-chromium-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: EXECUTABLE,
    headless: true,
    args: ARGS,
    viewport: { width: 1100, height: 900 },
  });
  const pageErrors: Error[] = [];
  return {
    context,
    pageErrors,
    async newPage() {
      const page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(err));
      return page;
    },
    async screenshot(page, name) {
      // Transitions jump to their end, so the picture shows the state the test just checked.
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true, animations: 'disabled' });
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
