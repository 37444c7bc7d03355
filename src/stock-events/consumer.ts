import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../logger';
import { declareInstanceQueue, stockEventSchema, type StockEvent } from './topology';

/** Enough unacknowledged messages in flight to ride out a burst without a round trip per message. */
const PREFETCH = 500;

/** Shaped like prom-client's Counter and Histogram, so this module does not depend on the API's registry. */
export interface ConsumerMetrics {
  stockMessages: { inc(labels: { outcome: 'delivered' | 'dead_lettered' }): void };
  /** Seconds from the moment the worker read the stock to the moment this instance received it. */
  stockEventDelay: { observe(seconds: number): void };
}

export interface ConsumerDeps {
  onEvent(event: StockEvent): void;
  logger: Logger;
  metrics: ConsumerMetrics;
}

/**
 * Consumes every stock event into this API instance through its own queue.
 * A message that is not a valid stock event is rejected without requeue, so
 * the broker moves it to the dead-letter queue and the consumer goes on.
 */
export class StockEventConsumer {
  private consumerTag?: string;
  private closing = false;

  private constructor(
    private readonly channel: Channel,
    readonly queue: string,
    private readonly deps: ConsumerDeps,
  ) {}

  static async start(connection: ChannelModel, deps: ConsumerDeps): Promise<StockEventConsumer> {
    // A channel of its own: a channel error here must not take the API's publisher with it.
    const channel = await connection.createChannel();
    await channel.prefetch(PREFETCH);
    const queue = await declareInstanceQueue(channel);
    const consumer = new StockEventConsumer(channel, queue, deps);
    channel.on('error', (err) => deps.logger.error({ err, queue }, 'stock consumer channel error'));
    channel.on('close', () => {
      if (!consumer.closing) deps.logger.error({ queue }, 'stock consumer stopped: subscribers get no updates');
    });
    ({ consumerTag: consumer.consumerTag } = await channel.consume(queue, (message) => {
      if (message) consumer.handle(message);
    }));
    deps.logger.info({ queue }, 'consuming stock events');
    return consumer;
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.consumerTag) await this.channel.cancel(this.consumerTag);
    await this.channel.close();
  }

  private handle(message: ConsumeMessage): void {
    const event = parseStockEvent(message.content);
    if (!event) {
      this.channel.nack(message, false, false);
      this.deps.metrics.stockMessages.inc({ outcome: 'dead_lettered' });
      this.deps.logger.warn(
        { routingKey: message.fields.routingKey, bytes: message.content.length },
        'invalid stock message sent to the dead-letter queue',
      );
      return;
    }
    this.channel.ack(message);
    this.deps.metrics.stockMessages.inc({ outcome: 'delivered' });
    this.deps.metrics.stockEventDelay.observe(Math.max(0, Date.now() - event.ts) / 1000);
    this.deps.onEvent(event);
  }
}

export function parseStockEvent(content: Buffer): StockEvent | undefined {
  let json: unknown;
  try {
    json = JSON.parse(content.toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = stockEventSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
