import type { ChannelWrapper } from 'amqp-connection-manager';
import { STOCK_EXCHANGE, declareStockExchange, stockRoutingKey, type StockEvent } from './topology';

/** Publishes stock changes to a durable topic exchange, waiting for the broker's confirm. */
export class StockPublisher {
  private declared?: Promise<void>;

  constructor(private readonly channel: ChannelWrapper) {}

  async publish(event: StockEvent): Promise<void> {
    // Declared on every (re)connect of the channel, before anything is published on it.
    this.declared ??= this.channel.addSetup(declareStockExchange);
    await this.declared;
    await this.channel.publish(STOCK_EXCHANGE, stockRoutingKey(event.productId), Buffer.from(JSON.stringify(event)), {
      contentType: 'application/json',
      persistent: false,
    });
  }
}
