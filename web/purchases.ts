import { asFailure, callApi } from './api';
import { el, type Tone } from './dom';
import { explain, type Explained } from './messages';

export type Pattern = 'sync' | 'async';

interface PurchaseView {
  trackingId: string;
  status: 'PENDING' | 'CONFIRMED' | 'REJECTED' | 'FAILED';
  orderId?: number;
  reason?: string;
}

export interface PurchaseInput {
  pattern: Pattern;
  productId: number;
  quantity: number;
  token: string;
  maxPerUser?: number;
}

/** Each status read waits up to this long on the server for the purchase to end (`?wait=`): one read, not many polls. */
const WAIT_PER_READ_S = 20;
const POLL_FOR_MS = 60_000;

/** One line in "Your purchases": its pattern, tracking id and status as it changes. */
class PurchaseLine {
  readonly element: HTMLElement;
  private readonly status = el('span', 'status', 'SENDING');
  private readonly detail = el('span', 'detail');

  constructor(pattern: Pattern, quantity: number) {
    const label = pattern === 'sync' ? 'Buy now' : 'Buy (async)';
    this.element = el('li', 'purchase', [el('span', 'pattern', `${label} × ${quantity}`), this.status, this.detail]);
  }

  show(status: string, detail: string, tone: Tone): void {
    this.status.textContent = status;
    this.element.dataset.tone = tone;
    this.detail.textContent = detail;
  }
}

/**
 * A purchase as a buyer lives it: the sync pattern answers with the outcome
 * (or 202 if it takes longer than the server's deadline), the async pattern
 * answers 202 at once; either way a pending purchase is polled to its end.
 */
export async function purchase(
  { pattern, productId, quantity, token, maxPerUser }: PurchaseInput,
  list: HTMLElement,
): Promise<Explained> {
  const line = new PurchaseLine(pattern, quantity);
  list.prepend(line.element);
  try {
    const started = await callApi<PurchaseView>('POST', `/api/v1/${pattern}/purchase`, {
      token,
      body: { productId, quantity },
      // One key per click: a retried request never buys twice.
      idempotencyKey: crypto.randomUUID(),
    });
    let view = started.body;
    line.show(view.status, shortId(view.trackingId), 'info');
    for (const deadline = Date.now() + POLL_FOR_MS; view.status === 'PENDING' && Date.now() < deadline;) {
      const path = `/api/v1/purchases/${view.trackingId}?wait=${WAIT_PER_READ_S}`;
      view = (await callApi<PurchaseView>('GET', path, { token })).body;
    }
    const outcome = describe(view, maxPerUser);
    line.show(view.status, outcome.text, outcome.tone);
    return outcome;
  } catch (err) {
    const failure = asFailure(err);
    const outcome = explain(failure.code, failure.message, maxPerUser);
    line.show(failure.code, outcome.text, outcome.tone);
    return outcome;
  }
}

function describe(view: PurchaseView, maxPerUser?: number): Explained {
  switch (view.status) {
    case 'CONFIRMED':
      return { text: `Confirmed: order #${view.orderId}.`, tone: 'success' };
    case 'PENDING':
      return { text: 'Still pending: the purchase is running; check again soon.', tone: 'info' };
    case 'REJECTED':
      return explain(view.reason ?? '', 'The purchase was turned down.', maxPerUser);
    default:
      return { text: 'The purchase could not be recorded; nothing was charged. Please retry.', tone: 'error' };
  }
}

function shortId(trackingId: string): string {
  return `tracking ${trackingId.slice(0, 8)}…`;
}
