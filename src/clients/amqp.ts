import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { Config } from '../config';
import type { Logger } from '../logger';

export interface Amqp {
  /** Reconnects by itself when the broker goes away; channels made from it re-run their setup. */
  connection: AmqpConnectionManager;
  /**
   * A confirm channel: a publish resolves once the broker has the message.
   * While the broker is away publishes wait (up to PUBLISH_TIMEOUT_MS) and go
   * out after the reconnect.
   */
  channel: ChannelWrapper;
}

const PUBLISH_TIMEOUT_MS = 30_000;

/** Every node of the cluster when AMQP_CLUSTER_URLS is set: the manager tries them in turn. */
export function brokerUrls(config: Pick<Config, 'AMQP_URL' | 'AMQP_CLUSTER_URLS'>): string[] {
  return config.AMQP_CLUSTER_URLS.length > 0 ? config.AMQP_CLUSTER_URLS : [config.AMQP_URL];
}

export async function connectAmqp(
  config: Pick<Config, 'AMQP_URL' | 'AMQP_CLUSTER_URLS'>,
  logger?: Pick<Logger, 'info' | 'warn'>,
): Promise<Amqp> {
  const connection = amqp.connect(brokerUrls(config), { heartbeatIntervalInSeconds: 5, reconnectTimeInSeconds: 1 });
  connection.on('disconnect', ({ err }) => logger?.warn({ err }, 'RabbitMQ connection lost; reconnecting'));
  connection.on('connect', () => logger?.info('RabbitMQ connected'));
  const channel = connection.createChannel({ confirm: true, publishTimeout: PUBLISH_TIMEOUT_MS });
  await channel.waitForConnect();
  return { connection, channel };
}
