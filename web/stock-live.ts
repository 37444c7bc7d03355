import { byId } from './dom';

export interface StockEvent {
  productId: number;
  available: number;
  version: number;
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
    private readonly onChange: (available: number) => void,
  ) {
    this.most = Math.max(1, capacity);
  }

  connect(): EventSource {
    const state = byId('live-state');
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
    const bar = byId('stock-bar');
    bar.setAttribute('aria-valuenow', String(left));
    bar.setAttribute('aria-valuemax', String(this.most));
    const fill = byId('stock-fill');
    const share = left / this.most;
    fill.style.width = `${(share * 100).toFixed(1)}%`;
    fill.dataset.level = share > 0.5 ? 'plenty' : share > 0.2 ? 'low' : 'last';
    byId('stock-count').textContent = String(left);
    byId('stock-label').textContent = left === 1 ? 'unit left' : 'units left';
    this.onChange(left);
  }
}
