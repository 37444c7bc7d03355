import type { Amqp } from '../../src/clients/amqp';
import { STOCK_EXCHANGE, stockEventSchema, stockRoutingKey, type StockEvent } from '../../src/stock-events/topology';

/** A stock subscriber on RabbitMQ, as the API's fan-out sees the events: it keeps the newest. */
export class StockWatcher {
  latest?: StockEvent;
  received = 0;
  private consumerTag?: string;

  private constructor(
    private readonly amqp: Amqp,
    private readonly queue: string,
  ) {}

  static async watch(amqp: Amqp, productId: number): Promise<StockWatcher> {
    await amqp.channel.assertExchange(STOCK_EXCHANGE, 'topic', { durable: true });
    const { queue } = await amqp.channel.assertQueue('', { exclusive: true, autoDelete: true });
    await amqp.channel.bindQueue(queue, STOCK_EXCHANGE, stockRoutingKey(productId));
    const watcher = new StockWatcher(amqp, queue);
    const { consumerTag } = await amqp.channel.consume(
      queue,
      (message) => message && watcher.see(JSON.parse(message.content.toString())),
      { noAck: true },
    );
    watcher.consumerTag = consumerTag;
    return watcher;
  }

  /** As the API's consumer does, an event off the schema is not a stock event: it is dropped. */
  private see(message: unknown): void {
    const parsed = stockEventSchema.safeParse(message);
    if (!parsed.success) return;
    const event = parsed.data;
    this.received += 1;
    if (!this.latest || event.version > this.latest.version) this.latest = event;
  }

  async stop(): Promise<void> {
    if (this.consumerTag) await this.amqp.channel.cancel(this.consumerTag);
    await this.amqp.channel.deleteQueue(this.queue);
  }
}
