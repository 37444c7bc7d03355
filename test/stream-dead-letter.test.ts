import { randomUUID } from 'node:crypto';
import amqplib, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import {
  STOCK_DEAD_LETTER_QUEUE,
  STOCK_EXCHANGE,
  stockRoutingKey,
  type StockEvent,
} from '../src/stock-events/topology';
import { startPulseCart, type Harness } from './support/harness';
import { SseSubscriber } from '../tools/lib/sse-subscriber';
import { sleep } from '../tools/lib/wait';

const deadFrom = (message: GetMessage): string | undefined => message.properties.headers?.['x-death']?.[0]?.queue;

/**
 * Takes this test's messages (by messageId) out of the shared dead-letter
 * queue, and puts everyone else's back, until `count` of them came through
 * `queue`. Every API instance consuming the exchange rejects its own copy.
 */
async function takeDeadLetters(channel: Channel, messageIds: string[], queue: string, count: number) {
  const mine: GetMessage[] = [];
  const fromQueue = () => mine.filter((message) => deadFrom(message) === queue);
  const deadline = Date.now() + 10_000;
  while (fromQueue().length < count && Date.now() < deadline) {
    const others: GetMessage[] = [];
    for (let m = await channel.get(STOCK_DEAD_LETTER_QUEUE); m; m = await channel.get(STOCK_DEAD_LETTER_QUEUE)) {
      if (messageIds.includes(m.properties.messageId)) {
        mine.push(m);
        channel.ack(m);
      } else {
        others.push(m);
      }
    }
    for (const message of others) channel.nack(message, false, true);
    if (fromQueue().length < count) await sleep(100);
  }
  return fromQueue();
}

describe('stock messages the API cannot read', () => {
  let h: Harness;
  // A plain connection of the test's own, to publish poison and read the dead-letter queue directly.
  let connection: ChannelModel;
  let channel: Channel;
  beforeAll(async () => {
    h = await startPulseCart({}, { withWorker: false });
    connection = await amqplib.connect(h.config.AMQP_URL);
    channel = await connection.createChannel();
  });
  afterAll(async () => {
    await connection.close();
    await h.close();
  });

  it('when a poison message arrives, then it ends in the dead-letter queue and later stock events still reach subscribers', async () => {
    const { id: productId } = await h.createProduct({ stock: 8 });
    const subscriber = await SseSubscriber.open(h.baseUrl, productId);
    const snapshot = await subscriber.until(() => true);

    const poison = [
      { id: randomUUID(), body: '{ not json' },
      { id: randomUUID(), body: JSON.stringify({ productId, available: 'plenty', version: 1, ts: Date.now() }) },
    ];
    for (const message of poison) {
      channel.publish(STOCK_EXCHANGE, stockRoutingKey(productId), Buffer.from(message.body), {
        messageId: message.id,
        contentType: 'application/json',
      });
    }
    const good: StockEvent = { productId, available: 7, version: snapshot.version + 1, ts: Date.now() };
    channel.publish(STOCK_EXCHANGE, stockRoutingKey(productId), Buffer.from(JSON.stringify(good)));

    await subscriber.until((e) => e.version === good.version);
    expect(subscriber.latest).toEqual(good);
    subscriber.close();

    const dead = await takeDeadLetters(
      channel,
      poison.map((p) => p.id),
      h.fanOut.consumer.queue,
      poison.length,
    );
    expect(dead.map((m) => m.content.toString()).sort()).toEqual(poison.map((p) => p.body).sort());
    for (const message of dead) {
      expect(message.properties.headers?.['x-death']?.[0]).toMatchObject({
        reason: 'rejected',
        exchange: STOCK_EXCHANGE,
      });
    }
  });
});
