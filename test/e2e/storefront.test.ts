import type { Page } from 'playwright-core';
import { SseSubscriber } from '../../tools/lib/sse-subscriber';
import { startPulseCart, type Harness } from '../support/harness';
import { expectSaleInvariants } from '../support/invariants';
import { launchChromium, type Browser } from './chromium';

const UI_TIMEOUT_MS = 15_000;

/** Waits until the element's whole text matches. */
async function seeText(page: Page, selector: string, text: string | RegExp): Promise<void> {
  await page.locator(selector, { hasText: text }).first().waitFor({ timeout: UI_TIMEOUT_MS });
}

async function seeStock(page: Page, units: number): Promise<void> {
  await seeText(page, '#stock-count', new RegExp(`^${units}$`));
  await page.locator(`#stock-bar[aria-valuenow="${units}"]`).waitFor({ timeout: UI_TIMEOUT_MS });
}

async function newestPurchaseIs(page: Page, status: string): Promise<void> {
  await seeText(page, '#purchases li:first-child .status', new RegExp(`^${status}$`));
}

/** The part of a browser's canvas read here (the tests compile without the DOM's types). */
interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}

/** Pixels a canvas has drawn: 0 while it is blank. */
function paintedPixels(page: Page, selector: string): Promise<number> {
  return page.locator(selector).evaluate((element) => {
    const canvas = element as unknown as Canvas;
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let painted = 0;
    for (let alpha = 3; alpha < data.length; alpha += 4) if (data[alpha] > 0) painted += 1;
    return painted;
  });
}

describe('the storefront in a real browser', () => {
  let h: Harness;
  let browser: Browser;
  beforeAll(async () => {
    h = await startPulseCart();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h.close();
  });

  it('when a buyer buys with each pattern and others buy the rest, then the page shows CONFIRMED, the stock falling live, the limit and sold out', async () => {
    const { id: productId } = await h.createProduct({ stock: 4, maxPerUser: 2 });
    const watcher = await SseSubscriber.open(h.baseUrl, productId);
    const accepted: string[] = [];
    const page = await browser.newPage();
    page.on('response', async (response) => {
      if (response.request().method() !== 'POST' || ![200, 202].includes(response.status())) return;
      accepted.push((await response.json()).trackingId);
    });

    await page.goto(`${h.baseUrl}/?product=${productId}&token=${await h.token(h.buyer('alice'))}`);
    await seeStock(page, 4);
    await seeText(page, '#live-state', 'live');
    expect(new URL(page.url()).searchParams.has('token')).toBe(false);
    await browser.screenshot(page, '01-storefront-open');

    await page.click('#buy-sync');
    await newestPurchaseIs(page, 'CONFIRMED');
    await seeText(page, '#message', /^Confirmed: order #\d+\.$/);
    await seeStock(page, 3);
    await browser.screenshot(page, '02-sync-confirmed');

    await page.click('#buy-async');
    await newestPurchaseIs(page, 'CONFIRMED');
    await seeStock(page, 2);
    await browser.screenshot(page, '03-async-confirmed');

    await page.click('#buy-sync');
    await newestPurchaseIs(page, 'PURCHASE_LIMIT');
    await seeText(page, '#message', 'Limit reached: each buyer may buy at most 2 of this product.');
    await browser.screenshot(page, '04-purchase-limit');

    for (const remaining of [1, 0]) {
      const other = await h.request('POST', '/api/v1/sync/purchase', {
        token: await h.token(h.buyer('bob')),
        body: { productId, quantity: 1 },
      });
      expect(other.status).toBe(200);
      accepted.push(other.body.trackingId);
      await seeStock(page, remaining);
      if (remaining > 0) await browser.screenshot(page, '05-another-buyer-bought');
    }
    await page.locator('#sold-out').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    expect(await page.isDisabled('#buy-sync')).toBe(true);
    expect(await page.isDisabled('#buy-async')).toBe(true);
    await browser.screenshot(page, '06-sold-out');

    await expectSaleInvariants(h, { productId, initialStock: 4, maxPerUser: 2, accepted, subscribers: [watcher] });
    watcher.close();
    expect(browser.pageErrors).toEqual([]);
  });

  it('when a buyer opens / with no product, then the newest products are listed, each linked, and the stock of one falls live as it is bought', async () => {
    const products = [await h.createProduct({ stock: 3 }), await h.createProduct({ stock: 5, maxPerUser: 2 })];
    const page = await browser.newPage();
    await page.goto(`${h.baseUrl}/`);

    const card = (id: number) => page.locator(`#product-list li[data-product-id="${id}"]`);
    const cardStock = (id: number, units: number) =>
      card(id).locator(`.stock-bar[aria-valuenow="${units}"]`).waitFor({ timeout: UI_TIMEOUT_MS });
    for (const [{ id }, units] of [
      [products[0], 3],
      [products[1], 5],
    ] as const) {
      await cardStock(id, units);
      expect(await card(id).locator('.stock-count').textContent()).toBe(String(units));
      expect(await card(id).locator('a').getAttribute('href')).toBe(`/?product=${id}`);
      await card(id).locator('.live[data-state="live"]').waitFor({ timeout: UI_TIMEOUT_MS });
    }
    // Newest first: the product made last is listed first.
    expect(await page.locator('#product-list li').first().getAttribute('data-product-id')).toBe(String(products[1].id));
    expect(await page.isHidden('#product')).toBe(true);
    await browser.screenshot(page, '07-product-list');

    const bought = await h.request('POST', '/api/v1/sync/purchase', {
      token: await h.token(h.buyer()),
      body: { productId: products[1].id, quantity: 2 },
    });
    expect(bought.status).toBe(200);
    await cardStock(products[1].id, 3);
    expect(await card(products[1].id).locator('.stock-count').textContent()).toBe('3');
    expect(await card(products[0].id).locator('.stock-count').textContent()).toBe('3');
    await browser.screenshot(page, '08-product-list-after-a-purchase');

    await card(products[0].id).locator('a').click();
    await seeStock(page, 3);
    expect(new URL(page.url()).searchParams.get('product')).toBe(String(products[0].id));
    expect(browser.pageErrors).toEqual([]);
  });

  it('when an operator opens the operator view, then PostgreSQL and Redis agree at rest, the sale is charted and each purchase links to its workflow', async () => {
    const { id: productId } = await h.createProduct({ stock: 5, maxPerUser: 1 });
    const bought = await h.request('POST', '/api/v1/sync/purchase', {
      token: await h.token(h.buyer()),
      body: { productId, quantity: 1 },
    });
    expect(bought.status).toBe(200);

    const page = await browser.newPage();
    await page.goto(`${h.baseUrl}/operator?token=${await h.adminToken()}`);
    const row = page.locator(`#products tr[data-product-id="${productId}"]`);
    await row.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await row.locator('td').allTextContents()).toEqual([
      String(productId),
      expect.any(String),
      '$9.99',
      '4',
      '4',
      '0',
      '1',
      'Purchases',
    ]);

    await row.locator('button').click();
    await seeText(page, '#sale-revenue', /^\$9\.99$/);
    expect(await page.locator('.figures dd').allTextContents()).toEqual(['$9.99', '1', '1', 'selling']);
    expect(await paintedPixels(page, '#sale-chart')).toBeGreaterThan(1000);
    const link = page.locator('#orders a', { hasText: `purchase-${bought.body.trackingId}` });
    await link.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await link.getAttribute('href')).toBe(
      `${h.config.TEMPORAL_UI_URL}/namespaces/${h.config.TEMPORAL_NAMESPACE}/workflows/purchase-${bought.body.trackingId}`,
    );
    await browser.screenshot(page, '09-operator-view');
    expect(browser.pageErrors).toEqual([]);
  });
});
