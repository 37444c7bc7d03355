import { startPulseCart, type Harness } from '../support/harness';
import { launchChromium, type Browser } from './chromium';

describe('the API docs page in a real browser', () => {
  let h: Harness;
  let browser: Browser;
  beforeAll(async () => {
    h = await startPulseCart({}, { withWorker: false });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h.close();
  });

  it('when /docs opens, then Swagger UI shows every operation of /openapi.json under our Content-Security-Policy', async () => {
    const page = await browser.newPage();
    const refusals: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) refusals.push(message.text());
    });
    const { body: document } = await h.request('GET', '/openapi.json');
    const operations = Object.values(document.paths).flatMap((path) => Object.keys(path as object));

    await page.goto(`${h.baseUrl}/docs`);
    await page
      .locator('.opblock')
      .nth(operations.length - 1)
      .waitFor({ timeout: 15_000 });
    await browser.screenshot(page, 'docs');

    expect(await page.locator('.opblock').count()).toBe(operations.length);
    expect(await page.locator('.opblock-summary-path').allTextContents()).toContain('/api/v1/sync/purchase');
    expect(refusals).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  });
});
