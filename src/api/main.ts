/** `npm run api`: one stateless API process. */
import { connectAmqp } from '../clients/amqp';
import { createPool } from '../clients/postgres';
import { createRedis } from '../clients/redis';
import { connectTemporal } from '../clients/temporal';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { createApp } from './app';
import { createApiMetrics } from './metrics';
import { startStockFanOut } from './stream/fan-out';

async function run(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config, 'api');
  const pool = createPool(config);
  const redis = createRedis(config);
  const amqp = await connectAmqp(config);
  const temporal = await connectTemporal(config);
  const metrics = createApiMetrics();
  const fanOut = await startStockFanOut({ amqp, config, logger, metrics });
  const app = createApp({ config, pool, redis, amqp, temporal, logger, metrics, streams: fanOut.streams });
  const server = app.listen(config.PORT, () => {
    logger.info({ url: `http://127.0.0.1:${config.PORT}`, temporalUi: config.TEMPORAL_UI_URL }, 'api listening');
  });

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'api shutting down');
    // Open stock streams would keep the server from closing: end them first.
    void fanOut.close();
    server.close(() => {
      void Promise.allSettled([temporal.connection.close(), amqp.connection.close(), pool.end(), redis.quit()]).then(
        () => process.exit(0),
      );
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
