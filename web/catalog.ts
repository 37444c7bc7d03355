/** The sale's products at `/`, each with its live stock and a link to buy it. */
import { callApi } from './api';
import { byId, say } from './dom';
import { LiveStock, stockViewIn } from './stock-live';

export interface Product {
  id: number;
  name: string;
  price: number;
  stock: number;
  available: number | null;
  maxPerUser: number;
}

interface ProductPage {
  products: Product[];
  next: string | null;
}

/**
 * Each product shown holds one stock stream open. Over HTTP/1.1 a browser
 * opens at most six connections to one host, so a page keeps to four: the
 * page's own API calls always have a connection left.
 */
const PAGE_SIZE = 4;

export function priceLine(product: Product): string {
  return `$${product.price.toFixed(2)} · at most ${product.maxPerUser} per buyer`;
}

/** Lists the page of products older than `before` (the newest ones without it). */
export async function showCatalog(before: string | null): Promise<void> {
  byId('catalog').hidden = false;
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (before) query.set('before', before);
  const { products, next } = (await callApi<ProductPage>('GET', `/api/v1/products?${query}`)).body;
  if (products.length === 0) say(byId('catalog-message'), 'Nothing is on sale yet: come back soon.', 'info');
  const template = byId<HTMLTemplateElement>('product-card');
  for (const product of products) {
    const card = template.content.firstElementChild?.cloneNode(true) as HTMLElement;
    card.dataset.productId = String(product.id);
    const link = card.querySelector<HTMLAnchorElement>('.listing-name') as HTMLAnchorElement;
    link.href = `/?product=${product.id}`;
    link.textContent = product.name;
    (card.querySelector('.price') as HTMLElement).textContent = priceLine(product);
    byId('product-list').append(card);
    const stock = new LiveStock(product.id, product.stock, stockViewIn(card));
    stock.show(product.available ?? product.stock);
    stock.connect();
  }
  if (next === null) return;
  const more = byId<HTMLAnchorElement>('more-products');
  more.href = `/?before=${products[products.length - 1].id}`;
  more.hidden = false;
}
