/** The storefront at `/?product=<id>`: live stock, and buying with either pattern. */
import { asFailure, callApi } from './api';
import { byId, say } from './dom';
import { explain } from './messages';
import { purchase, type Pattern } from './purchases';
import { LiveStock } from './stock-live';
import { bindTokenForm } from './token';

interface Product {
  id: number;
  name: string;
  price: number;
  stock: number;
  available: number | null;
  maxPerUser: number;
}

const message = byId('message');
const buttons = [byId<HTMLButtonElement>('buy-sync'), byId<HTMLButtonElement>('buy-async')];
const token = bindTokenForm(byId<HTMLFormElement>('token-form'), byId<HTMLInputElement>('token'), 'pulsecart.token');
let busy = false;
let soldOut = false;

function refreshButtons(): void {
  for (const button of buttons) button.disabled = busy || soldOut;
  byId('sold-out').hidden = !soldOut;
}

async function main(): Promise<void> {
  const productId = Number(new URL(window.location.href).searchParams.get('product'));
  if (!Number.isInteger(productId) || productId <= 0) {
    say(message, 'Open this page with ?product=<id> (the operator view links every product).', 'info');
    return;
  }
  const product = await callApi<Product>('GET', `/api/v1/products/${productId}`).then((reply) => reply.body);
  byId('product-name').textContent = product.name;
  byId('product-price').textContent = `$${product.price.toFixed(2)} · at most ${product.maxPerUser} per buyer`;
  byId('product').removeAttribute('aria-busy');

  // PostgreSQL's stock is what is left once purchases in flight settle: the bar's full length.
  const stock = new LiveStock(productId, product.stock, (available) => {
    soldOut = available <= 0;
    refreshButtons();
  });
  stock.show(product.available ?? product.stock);
  stock.connect();

  byId<HTMLFormElement>('buy-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const pattern = ((event as SubmitEvent).submitter as HTMLButtonElement | null)?.dataset.pattern as Pattern;
    if (!token()) return say(message, explain('UNAUTHENTICATED', '').text, 'error');
    busy = true;
    refreshButtons();
    say(message, pattern === 'sync' ? 'Buying…' : 'Order placed; waiting for confirmation…', 'info');
    const quantity = Number(byId<HTMLInputElement>('quantity').value);
    const outcome = await purchase(
      { pattern, productId, quantity, token: token(), maxPerUser: product.maxPerUser },
      byId('purchases'),
    );
    say(message, outcome.text, outcome.tone);
    busy = false;
    refreshButtons();
  });
}

main().catch((err) => {
  const failure = asFailure(err);
  say(message, explain(failure.code, failure.message).text, 'error');
});
