import { SseSubscriber } from '../../tools/lib/sse-subscriber';
import { sleep, waitUntil } from '../../tools/lib/wait';
import { FaultProxy } from '../support/fault-proxy';
import { startPulseCart, type Harness } from '../support/harness';
import { driveSale, expectSaleSurvived } from '../support/sale-driver';

/** RabbitMQ is unreachable for 10 s in the middle of a sale, for the API and the worker alike. */
describe('fault: RabbitMQ outage', () => {
  let proxy: FaultProxy;
  let h: Harness;

  beforeAll(async () => {
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: 5672 });
    h = await startPulseCart({ AMQP_URL: `amqp://guest:guest@127.0.0.1:${proxy.port}` });
  });
  afterAll(async () => {
    await h.close();
    await proxy.stop();
  });

  it('when RabbitMQ is down for 10 s, then purchases still complete, broadcasts resume, and stock streams end on the right value', async () => {
    const stock = 60;
    const { id: productId } = await h.createProduct({ stock });
    const subscribers = await Promise.all(Array.from({ length: 5 }, () => SseSubscriber.open(h.baseUrl, productId)));
    const running = driveSale(h, { productId, buyers: 200, durationMs: 8000 });

    await sleep(1000);
    await proxy.cut();
    // The API hears its broker connection drop once its event loop, busy with the sale, gets to the socket's close.
    const notReady = async () => (await h.request('GET', '/ready')).status === 503;
    await waitUntil('the API to report RabbitMQ down', notReady, [], 5_000);
    const ready = await h.request('GET', '/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.rabbitmq).toMatch(/^down/);
    await sleep(10_000);
    await proxy.heal();
    const sale = await running;

    // The broker is not on the purchase path: nobody was refused for its outage.
    expect(sale.responses.filter((r) => r.status === 503)).toEqual([]);

    const { confirmedQuantity } = await expectSaleSurvived(h, sale, { productId, stock, subscribers });
    expect(confirmedQuantity).toBe(stock);
    for (const subscriber of subscribers) subscriber.close();
  });
});
