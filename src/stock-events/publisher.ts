import type { ConfirmChannel } from 'amqplib';
import { STOCK_EXCHANGE, declareStockExchange, stockRoutingKey, type StockEvent } from './topology';

/** Publishes stock changes to a durable topic exchange, waiting for the broker's confirm. */
export class StockPublisher {
  private declared?: Promise<unknown>;

  constructor(private readonly channel: ConfirmChannel) {}

  async publish(event: StockEvent): Promise<void> {
    this.declared ??= declareStockExchange(this.channel);
    await this.declared;
    const body = Buffer.from(JSON.stringify(event));
    await new Promise<void>((resolve, reject) => {
      this.channel.publish(
        STOCK_EXCHANGE,
        stockRoutingKey(event.productId),
        body,
        { contentType: 'application/json', persistent: false },
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }
}
