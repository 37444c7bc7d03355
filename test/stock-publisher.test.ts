import { once } from 'node:events';
import { connectAmqp, type Amqp } from '../src/clients/amqp';
import { loadConfig } from '../src/config';
import { StockPublisher } from '../src/stock-events/publisher';
import { StockWatcher } from './support/stock-watcher';

/** Far above the ids other suites' databases hand out, so no API instance has a stream open on it. */
const PRODUCT_ID = 30_999_001;

describe('the stock publisher', () => {
  // The publisher's connection is the one that fails; the watcher listens on a connection of its own.
  let amqp: Amqp;
  let watching: Amqp;
  let watcher: StockWatcher;

  beforeAll(async () => {
    amqp = await connectAmqp(loadConfig());
    watching = await connectAmqp(loadConfig());
    watcher = await StockWatcher.watch(watching, PRODUCT_ID);
  });
  afterAll(async () => {
    await watcher.stop();
    await Promise.allSettled([amqp.connection.close(), watching.connection.close()]);
  });

  it('when the first declare of the exchange fails, then the next publish declares again and reaches subscribers', async () => {
    const publisher = new StockPublisher(amqp.channel);
    const event = (version: number) => ({ productId: PRODUCT_ID, available: 5, version, ts: Date.now() });

    // The connection goes away under the first declare, as when the broker restarts: amqplib refuses it.
    const reconnected = once(amqp.channel, 'connect');
    amqp.connection.reconnect();
    await expect(publisher.publish(event(1))).rejects.toThrow('Connection closing');
    await reconnected;

    await publisher.publish(event(2));
    const deadline = Date.now() + 5000;
    while (watcher.latest?.version !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(watcher.latest?.version).toBe(2);
  });
});
