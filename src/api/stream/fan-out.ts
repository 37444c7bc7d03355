import type { Amqp } from '../../clients/amqp';
import type { Config } from '../../config';
import type { Inventory } from '../../inventory/inventory';
import type { Logger } from '../../logger';
import { StockEventConsumer } from '../../stock-events/consumer';
import type { ApiMetrics } from '../metrics';
import { StockStreams } from './stock-streams';

export interface StockFanOut {
  streams: StockStreams;
  consumer: StockEventConsumer;
  close(): Promise<void>;
}

/** RabbitMQ → this instance's queue → every open stock stream of the product. */
export async function startStockFanOut({
  amqp,
  inventory,
  config,
  logger,
  metrics,
}: {
  amqp: Amqp;
  inventory: Inventory;
  config: Pick<
    Config,
    'SSE_HEARTBEAT_MS' | 'SSE_MAX_STREAMS' | 'SSE_MAX_STREAMS_PER_ADDRESS' | 'AMQP_DEAD_LETTER_QUEUE_TYPE'
  >;
  logger: Logger;
  metrics: ApiMetrics;
}): Promise<StockFanOut> {
  const streams = new StockStreams({
    heartbeatMs: config.SSE_HEARTBEAT_MS,
    maxStreams: config.SSE_MAX_STREAMS,
    maxStreamsPerAddress: config.SSE_MAX_STREAMS_PER_ADDRESS,
    subscribers: metrics.sseSubscribers,
  });
  // Events published while this instance was not consuming (a broker outage)
  // are gone for its queue: on every (re)start, open streams catch up from Redis.
  const catchUp = async () => {
    for (const productId of streams.products()) {
      const snapshot = await inventory.snapshot(productId);
      if (snapshot) streams.publish({ productId, ...snapshot, ts: Date.now() });
    }
  };
  const consumer = await StockEventConsumer.start(amqp.connection, {
    onEvent: (event) => streams.publish(event),
    onConsuming: () => void catchUp().catch((err) => logger.warn({ err }, 'stock streams could not catch up')),
    logger,
    metrics,
    deadLetterQueueType: config.AMQP_DEAD_LETTER_QUEUE_TYPE,
  });
  return {
    streams,
    consumer,
    async close() {
      await consumer.close().catch((err) => logger.warn({ err }, 'stock consumer did not close cleanly'));
      streams.close();
    },
  };
}
