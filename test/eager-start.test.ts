import { setTimeout as sleep } from 'node:timers/promises';
import { sparedWorkflowSlots } from '../src/api/purchases/eager-purchases';
import { startPulseCart, type Harness } from './support/harness';
import { expectRaceSellsOut } from './support/sale-driver';
import { StockWatcher } from './support/stock-watcher';

/** A counter of the API's /metrics, 0 when it was never counted. */
async function counter(h: Harness, name: string): Promise<number> {
  const { body } = await h.request('GET', '/metrics');
  const match = String(body).match(new RegExp(`^${name} (\\d+)`, 'm'));
  return match ? Number(match[1]) : 0;
}

describe('eager workflow start (EAGER_START): the API runs the purchases it starts', () => {
  let h: Harness;
  beforeAll(async () => {
    // No worker process polls this task queue: only the API's own purchase worker can run its purchases. The test
    // process is busy sending the requests too: its event loop's delay is not what this test is about.
    h = await startPulseCart({ EAGER_START: true, EAGER_START_MAX_LOOP_DELAY_MS: 60_000 }, { withWorker: false });
  });
  afterAll(() => h.close());

  it('a sync buyer gets CONFIRMED from the API alone, and Temporal handed the workflow task back with the start', async () => {
    const { id: productId } = await h.createProduct({ stock: 5 });
    const reply = await h.request('POST', '/api/v1/sync/purchase', {
      token: await h.token(h.buyer()),
      body: { productId, quantity: 1 },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.status).toBe('CONFIRMED');
    expect(await counter(h, 'pulsecart_workflows_started_eagerly_total')).toBe(1);
  });

  it('when 300 buyers race for 40 units, exactly 40 are confirmed by the API worker and every invariant holds', async () => {
    const stock = 40;
    const { id: productId } = await h.createProduct({ stock, maxPerUser: 1 });
    const watcher = await StockWatcher.watch(h.amqp, productId);
    const startedBefore = await counter(h, 'pulsecart_workflows_started_total');
    const eagerBefore = await counter(h, 'pulsecart_workflows_started_eagerly_total');
    await expectRaceSellsOut(h, { productId, buyers: 300, stock, watcher });
    expect((await counter(h, 'pulsecart_workflows_started_total')) - startedBefore).toBe(stock);
    // With more slots (EAGER_START_SLOTS) than purchases, every start found one free on the API's worker.
    expect((await counter(h, 'pulsecart_workflows_started_eagerly_total')) - eagerBefore).toBe(stock);
    await watcher.stop();
  });
});

describe("the API's purchase worker takes eager tasks only while its event loop has time to spare", () => {
  /** Tries for a slot every 10 ms until `wanted` says yes (or 2 s pass); answers what the last try got. */
  async function tryUntil(slots: ReturnType<typeof sparedWorkflowSlots>, wanted: (permit: unknown) => boolean) {
    let permit: unknown = undefined;
    for (let tries = 0; tries < 200; tries += 1) {
      permit = slots.tryReserveSlot({} as never);
      if (permit) slots.releaseSlot({} as never);
      if (wanted(permit)) break;
      await sleep(10);
    }
    return permit;
  }

  it('when the loop is calm it hands out up to its slots, none while a crowd blocks the loop, and again once calm', async () => {
    const slots = sparedWorkflowSlots(2, 20);
    expect(await tryUntil(slots, (permit) => permit !== null)).not.toBeNull();
    const [first, second] = [slots.tryReserveSlot({} as never), slots.tryReserveSlot({} as never)];
    expect([first, second]).not.toContain(null);
    expect(slots.tryReserveSlot({} as never)).toBeNull();
    slots.releaseSlot({} as never);
    slots.releaseSlot({} as never);

    // 150 ms of synchronous work, as a burst of requests would hold the loop: the next judgement says busy.
    const until = Date.now() + 150;
    while (Date.now() < until);
    expect(await tryUntil(slots, (permit) => permit === null)).toBeNull();
    expect(await tryUntil(slots, (permit) => permit !== null)).not.toBeNull();
  });

  it('never hands a slot to a poller: the API does not take purchases from the task queue, until shutdown aborts it', async () => {
    const slots = sparedWorkflowSlots(2, 20);
    const abort = new AbortController();
    const polled = slots.reserveSlot({} as never, abort.signal);
    const outcome = Promise.race([
      polled.then(
        () => 'slot',
        (err: Error) => err.name,
      ),
      sleep(300).then(() => 'waiting'),
    ]);
    expect(await outcome).toBe('waiting');
    abort.abort();
    await expect(polled).rejects.toMatchObject({ name: 'AbortError' });
  });
});
