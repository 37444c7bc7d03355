/** The operator view at `/operator`: stock on both sides of the gate, the sale of a product live, and its purchases. */
import { asFailure, callApi } from './api';
import { byId, el, say } from './dom';
import type { ProductStock, RecentOrder, SaleReport } from '../src/api/operator/operator-types';
import { explain } from './messages';
import { SaleChart } from './sale-chart';
import { bindTokenForm } from './token';

const REFRESH_EVERY_MS = 2000;
const message = byId('operator-message');
const tokenForm = byId<HTMLFormElement>('token-form');
const token = bindTokenForm(tokenForm, byId<HTMLInputElement>('token'), 'pulsecart.adminToken');
let selected: number | undefined;
let chart: SaleChart | undefined;

function cell(content: string | Node, className = ''): HTMLElement {
  return el('td', className, typeof content === 'string' ? content : [content]);
}

function link(href: string, text: string, external = false): HTMLAnchorElement {
  const anchor = el('a', '', text) as HTMLAnchorElement;
  anchor.href = href;
  if (external) {
    anchor.target = '_blank';
    anchor.rel = 'noopener';
  }
  return anchor;
}

function productRow(product: ProductStock): HTMLElement {
  const inFlight = product.available === null ? '–' : String(product.stock - product.available);
  const show = el('button', 'secondary small', 'Purchases');
  show.addEventListener('click', () => {
    selected = product.id;
    void refresh();
  });
  const row = el('tr', '', [
    cell(String(product.id)),
    cell(link(`/?product=${product.id}`, product.name)),
    cell(`$${product.price.toFixed(2)}`, 'number'),
    cell(String(product.stock), 'number'),
    cell(product.available === null ? 'missing' : String(product.available), 'number'),
    cell(inFlight, 'number'),
    cell(String(product.soldUnits), 'number'),
    cell(show),
  ]);
  row.dataset.productId = String(product.id);
  if (product.available === null || product.available !== product.stock) row.dataset.flag = 'apart';
  if (product.id === selected) row.dataset.selected = 'true';
  return row;
}

function orderRow(order: RecentOrder): HTMLElement {
  return el('tr', '', [
    cell(`#${order.orderId}`),
    cell(link(order.workflowUrl, `purchase-${order.trackingId}`, true), 'mono'),
    cell(order.userId),
    cell(String(order.quantity), 'number'),
    cell(new Date(order.createdAt).toLocaleTimeString()),
  ]);
}

function fill(tableId: string, rows: HTMLElement[]): void {
  byId(tableId)
    .querySelector('tbody')
    ?.replaceChildren(...rows);
}

function showSale(sale: SaleReport): void {
  byId('sale-card').hidden = false;
  byId('sale-title').textContent = `Sale of product ${sale.productId}`;
  byId('sale-revenue').textContent = `$${sale.revenue.toFixed(2)}`;
  byId('sale-orders').textContent = String(sale.orders);
  byId('sale-units').textContent = String(sale.units);
  byId('sale-through').textContent =
    sale.sellThroughSeconds === null ? 'selling' : `${sale.sellThroughSeconds.toFixed(1)} s`;
  // Created once the card is visible: chart.js sizes the canvas from its box.
  chart ??= new SaleChart(byId<HTMLCanvasElement>('sale-chart'));
  chart.show(sale);
}

async function refresh(): Promise<void> {
  if (!token()) return say(message, 'Paste an admin token below to see the products.', 'info');
  try {
    const products = await callApi<ProductStock[]>('GET', '/api/v1/admin/products', { token: token() });
    fill('products', products.body.map(productRow));
    say(message, `Updated ${new Date().toLocaleTimeString()}`, 'info');
    if (selected === undefined) return;
    const [sale, orders] = await Promise.all([
      callApi<SaleReport>('GET', `/api/v1/admin/products/${selected}/sale`, { token: token() }),
      callApi<RecentOrder[]>('GET', `/api/v1/admin/products/${selected}/orders?limit=20`, { token: token() }),
    ]);
    showSale(sale.body);
    byId('orders-card').hidden = false;
    byId('orders-title').textContent = `Recent purchases of product ${selected}`;
    fill('orders', orders.body.map(orderRow));
  } catch (err) {
    const failure = asFailure(err);
    say(message, explain(failure.code, failure.message).text, 'error');
  }
}

tokenForm.addEventListener('token-saved', () => void refresh());
setInterval(() => {
  if (document.visibilityState === 'visible') void refresh();
}, REFRESH_EVERY_MS);
void refresh();
