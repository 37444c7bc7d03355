import type { Amqp } from '../../clients/amqp';
import type { Config } from '../../config';
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
  config,
  logger,
  metrics,
}: {
  amqp: Amqp;
  config: Pick<Config, 'SSE_HEARTBEAT_MS'>;
  logger: Logger;
  metrics: ApiMetrics;
}): Promise<StockFanOut> {
  const streams = new StockStreams({ heartbeatMs: config.SSE_HEARTBEAT_MS, subscribers: metrics.sseSubscribers });
  const consumer = await StockEventConsumer.start(amqp.connection, {
    onEvent: (event) => streams.publish(event),
    logger,
    metrics,
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
