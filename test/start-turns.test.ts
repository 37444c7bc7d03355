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

  it('when a sync buyer waits for its start past SYNC_DEADLINE_MS, then it is answered PENDING once the start is made, and its purchase completes', async () => {
    const startWaitMs = 1000;
    // Holds each StartWorkflowExecution back before it goes on the wire, as a queue of starts ahead of it would.
    const delaying: Interceptor = (options, nextCall) =>
      options.method_definition.path.endsWith('/StartWorkflowExecution')
        ? new InterceptingCall(nextCall(options), {
            start(metadata, listener, next) {
              setTimeout(() => next(metadata, listener), startWaitMs);
            },
          })
        : new InterceptingCall(nextCall(options));
    const temporal = await connectTemporal(h.config, { interceptors: [delaying] });
    const { pool, redis, amqp, inventory } = h;
    // The deadline, counted from the request's arrival, has passed by the time the start is made.
    const services = createApiServices(
      { ...h.config, SYNC_DEADLINE_MS: startWaitMs / 4 },
      { pool, redis, amqp, temporal, inventory },
      { logger: createLogger(h.config, 'test'), metrics: createApiMetrics() },
    );
    try {
      const { id: productId } = await h.createProduct({ stock: 1 });
      const view = await services.purchases.purchase('sync', { userId: h.buyer(), productId, quantity: 1 });
      expect(view.status).toBe('PENDING');
      const { statuses } = await expectSaleInvariants(h, {
        productId,
        initialStock: 1,
        maxPerUser: 1,
        accepted: [view.trackingId],
      });
      expect(statuses.get(view.trackingId)).toBe('CONFIRMED');
    } finally {
      await services.outcomes.close();
      await temporal.connection.close();
    }
  });
});
