export interface StockEvent {
  productId: number;
  available: number;
  version: number;
}

/** The elements one product's stock is drawn in; the same classes on the product page and on each listed product. */
export interface StockView {
  bar: HTMLElement;
  fill: HTMLElement;
  count: HTMLElement;
  label: HTMLElement;
  state: HTMLElement;
}

export function stockViewIn(root: HTMLElement): StockView {
  const find = (selector: string) => {
    const found = root.querySelector<HTMLElement>(selector);
    if (!found) throw new Error(`${selector} is missing from the stock view`);
    return found;
  };
  return {
    bar: find('.stock-bar'),
    fill: find('.stock-fill'),
    count: find('.stock-count'),
    label: find('.stock-label'),
    state: find('.live'),
  };
}

/**
 * The live stock bar: fed by the stock stream (Server-Sent Events), which
 * sends a snapshot first and then every change. The browser reconnects by
 * itself (the server's `retry:`) and sends the last version it saw.
 */
export class LiveStock {
  private version = -1;
  /** The bar is relative to the stock when the page opened, or the most seen since (a restock). */
  private most: number;

  constructor(
    private readonly productId: number,
    capacity: number,
    private readonly view: StockView,
    private readonly onChange: (available: number) => void = () => undefined,
  ) {
    this.most = Math.max(1, capacity);
  }

  connect(): EventSource {
    const { state } = this.view;
    const source = new EventSource(`/api/v1/stock/stream?productId=${this.productId}`);
    source.onopen = () => {
      state.textContent = 'live';
      state.dataset.state = 'live';
    };
    source.onerror = () => {
      state.textContent = 'reconnecting…';
      state.dataset.state = 'down';
    };
    source.onmessage = (message) => this.see(JSON.parse(message.data) as StockEvent);
    return source;
  }

  /** Events may arrive out of order across reconnects: the highest version wins. */
  private see(event: StockEvent): void {
    if (event.version <= this.version) return;
    this.version = event.version;
    this.show(event.available);
  }

  show(available: number): void {
    this.most = Math.max(this.most, available);
    const left = Math.max(0, available);
    const { bar, fill, count, label } = this.view;
    bar.setAttribute('aria-valuenow', String(left));
    bar.setAttribute('aria-valuemax', String(this.most));
    const share = left / this.most;
    fill.style.width = `${(share * 100).toFixed(1)}%`;
    fill.dataset.level = share > 0.5 ? 'plenty' : share > 0.2 ? 'low' : 'last';
    count.textContent = String(left);
    label.textContent = left === 1 ? 'unit left' : 'units left';
    this.onChange(left);
  }
}
