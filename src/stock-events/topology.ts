/** RabbitMQ names both sides agree on: the worker publishes, each API instance consumes. */
export const STOCK_EXCHANGE = 'pulsecart.stock';

export function stockRoutingKey(productId: number): string {
  return `stock.${productId}`;
}

export interface StockEvent {
  productId: number;
  available: number;
  /** Grows with every change of the product's stock: a consumer keeps the highest it has seen. */
  version: number;
  /** Milliseconds since the epoch when the value was read. */
  ts: number;
}
