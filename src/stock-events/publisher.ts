import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel } from 'amqplib';
import { STOCK_EXCHANGE, declareStockExchange, stockRoutingKey, type StockEvent } from './topology';

/** Publishes stock changes to a durable topic exchange, waiting for the broker's confirm. */
export class StockPublisher {
  private declared?: Promise<void>;
  /** This publisher's own setup, so that removing it never removes another's. */
  private readonly declare = (channel: Channel) => declareStockExchange(channel);

  constructor(private readonly channel: ChannelWrapper) {}

  async publish(event: StockEvent): Promise<void> {
    await this.declareExchange();
    await this.channel.publish(STOCK_EXCHANGE, stockRoutingKey(event.productId), Buffer.from(JSON.stringify(event)), {
      contentType: 'application/json',
      persistent: false,
    });
  }

  /**
   * Declared on every (re)connect of the channel, before anything is published on it. A declare that
   * failed (the connection went away under it) is forgotten, so that the next publish declares again
   * instead of failing on the same rejection until a restart.
   */
  private declareExchange(): Promise<void> {
    this.declared ??= this.channel.addSetup(this.declare).catch(async (err: unknown) => {
      // The wrapper keeps a setup even when it failed: remove it before the next publish adds it again.
      await this.channel.removeSetup(this.declare);
      this.declared = undefined;
      throw err;
    });
    return this.declared;
  }
}
