import amqp from 'amqplib';
import type { Config } from '../config';

export interface Amqp {
  connection: amqp.ChannelModel;
  /** Publisher confirms on: a publish resolves once the broker has the message. */
  channel: amqp.ConfirmChannel;
}

export async function connectAmqp(config: Pick<Config, 'AMQP_URL'>): Promise<Amqp> {
  const connection = await amqp.connect(config.AMQP_URL);
  const channel = await connection.createConfirmChannel();
  return { connection, channel };
}
