/** The storefront: the sale's products at `/`; one product at `/?product=<id>`, live stock, and buying with either pattern. */
import { asFailure, callApi } from './api';
import { priceLine, showCatalog, type Product } from './catalog';
import { byId, say } from './dom';
import { explain } from './messages';
import { purchase, type Pattern } from './purchases';
import { LiveStock, stockViewIn } from './stock-live';
import { bindTokenForm } from './token';

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
  const params = new URL(window.location.href).searchParams;
  const requested = params.get('product');
  if (requested === null) return showCatalog(params.get('before'));
  byId('product').hidden = false;
  byId('purchases-card').hidden = false;
  const productId = Number(requested);
  if (!Number.isInteger(productId) || productId <= 0) {
    say(message, 'No such product: pick one from the list on the home page.', 'info');
    return;
  }
  const product = await callApi<Product>('GET', `/api/v1/products/${productId}`).then((reply) => reply.body);
  byId('product-name').textContent = product.name;
  byId('product-price').textContent = priceLine(product);
  byId('product').removeAttribute('aria-busy');

  // PostgreSQL's stock is what is left once purchases in flight settle: the bar's full length.
  const stock = new LiveStock(productId, product.stock, stockViewIn(byId('product')), (available) => {
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
  const shown = byId('product').hidden ? byId('catalog-message') : message;
  say(shown, explain(failure.code, failure.message).text, 'error');
});
