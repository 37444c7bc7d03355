import type { ConfirmChannel } from 'amqplib';
import { STOCK_EXCHANGE, stockRoutingKey, type StockEvent } from './topology';

/** Publishes stock changes to a durable topic exchange, waiting for the broker's confirm. */
export class StockPublisher {
  private declared?: Promise<unknown>;

  constructor(private readonly channel: ConfirmChannel) {}

  async publish(event: StockEvent): Promise<void> {
    this.declared ??= this.channel.assertExchange(STOCK_EXCHANGE, 'topic', { durable: true });
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
