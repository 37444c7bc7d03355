import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { createApiServices } from '../src/api/app';
import { createApiMetrics } from '../src/api/metrics';
import { connectTemporal } from '../src/clients/temporal';
import { createLogger } from '../src/logger';
import { startPulseCart, type Harness } from './support/harness';
import { expectSaleInvariants } from './support/invariants';

describe('purchase starts take turns (TEMPORAL_START_CONCURRENCY)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startPulseCart();
  });
  afterAll(() => h.close());

  it('when 12 buyers are admitted at once and 2 starts may be in flight, then Temporal never sees more than 2 and every purchase starts', async () => {
    let inFlight = 0;
    let most = 0;
    // What the starts-waiting gauge read as each start went on the wire: the k-th leaves at most 12 - k queued.
    const waitingAtStart: number[] = [];
    let readWaiting = () => Promise.resolve(0);
    // Counts StartWorkflowExecution calls between their request and their status, on the wire to the real server.
    const counting: Interceptor = (options, nextCall) => {
      const call = new InterceptingCall(nextCall(options), {
        start(metadata, _listener, next) {
          void readWaiting().then((value) => waitingAtStart.push(value));
          inFlight += 1;
          most = Math.max(most, inFlight);
          next(metadata, {
            onReceiveStatus(status, nextStatus) {
              inFlight -= 1;
              nextStatus(status);
            },
          });
        },
      });
      return options.method_definition.path.endsWith('/StartWorkflowExecution')
        ? call
        : new InterceptingCall(nextCall(options));
    };
    const temporal = await connectTemporal(h.config, { interceptors: [counting] });
    const { pool, redis, amqp, inventory } = h;
    const metrics = createApiMetrics();
    readWaiting = async () => (await metrics.workflowStartsWaiting.get()).values[0]?.value ?? 0;
    const services = createApiServices(
      { ...h.config, TEMPORAL_START_CONCURRENCY: 2 },
      { pool, redis, amqp, temporal, inventory },
      { logger: createLogger(h.config, 'test'), metrics },
    );
    try {
      const stock = 12;
      const { id: productId } = await h.createProduct({ stock });
      const accepted = await Promise.all(
        Array.from({ length: stock }, () =>
          services.purchases.purchase('async', { userId: h.buyer(), productId, quantity: 1 }),
        ),
      );
      expect(accepted.map((view) => view.status)).toEqual(Array(stock).fill('PENDING'));
      expect(most).toBe(2);
      expect(inFlight).toBe(0);
      expect((await metrics.workflowStartsWaiting.get()).values[0].value).toBe(0);
      expect(waitingAtStart).toHaveLength(stock);
      expect(waitingAtStart.filter((value, k) => value > stock - (k + 1))).toEqual([]);
      const { confirmedQuantity } = await expectSaleInvariants(h, {
        productId,
        initialStock: stock,
        maxPerUser: 1,
        accepted: accepted.map((view) => view.trackingId),
      });
      expect(confirmedQuantity).toBe(stock);
    } finally {
      await services.outcomes.close();
      await temporal.connection.close();
    }
  });
});
