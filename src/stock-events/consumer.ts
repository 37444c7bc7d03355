import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../logger';
import {
  declareInstanceQueue,
  instanceQueueName,
  stockEventSchema,
  type DeadLetterQueueType,
  type StockEvent,
} from './topology';

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
  /** Called each time consuming (re)starts. */
  onConsuming?(): void;
  logger: Logger;
  metrics: ConsumerMetrics;
  deadLetterQueueType: DeadLetterQueueType;
}

/**
 * Consumes every stock event into this API instance through its own queue.
 * A message that is not a valid stock event is rejected without requeue, so
 * the broker moves it to the dead-letter queue and the consumer goes on.
 */
export class StockEventConsumer {
  private constructor(
    private readonly channel: ChannelWrapper,
    readonly queue: string,
  ) {}

  /**
   * Declares the topology and consumes, again after every reconnect of the
   * broker; `onConsuming` runs each time, so the caller can catch up on what
   * was published while this instance was not listening.
   */
  static async start(connection: AmqpConnectionManager, deps: ConsumerDeps): Promise<StockEventConsumer> {
    const queue = instanceQueueName();
    // A channel of its own: a channel error here must not take the API's publisher with it.
    const channel = connection.createChannel({
      setup: async (raw: Channel) => {
        await raw.prefetch(PREFETCH);
        await declareInstanceQueue(raw, queue, deps.deadLetterQueueType);
        await raw.consume(queue, (message) => {
          if (message) handle(raw, message, deps);
        });
        deps.logger.info({ queue }, 'consuming stock events');
        deps.onConsuming?.();
      },
    });
    await channel.waitForConnect();
    return new StockEventConsumer(channel, queue);
  }

  async close(): Promise<void> {
    await this.channel.close();
  }
}

function handle(channel: Channel, message: ConsumeMessage, deps: ConsumerDeps): void {
  const event = parseStockEvent(message.content);
  if (!event) {
    channel.nack(message, false, false);
    deps.metrics.stockMessages.inc({ outcome: 'dead_lettered' });
    deps.logger.warn(
      { routingKey: message.fields.routingKey, bytes: message.content.length },
      'invalid stock message sent to the dead-letter queue',
    );
    return;
  }
  channel.ack(message);
  deps.metrics.stockMessages.inc({ outcome: 'delivered' });
  deps.metrics.stockEventDelay.observe(Math.max(0, Date.now() - event.ts) / 1000);
  deps.onEvent(event);
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
