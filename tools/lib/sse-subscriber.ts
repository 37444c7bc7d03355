/**
 * A stock-stream subscriber over a raw HTTP connection, cheap enough to open
 * a thousand of: it parses Server-Sent Events as a browser would and keeps
 * the newest stock event (highest version), as the storefront does.
 */
import http from 'node:http';
import type { StockEvent } from '../../src/stock-events/topology';
import { sleep } from './wait';

export interface SubscribeOptions {
  lastEventId?: number;
  /** Called with every event as it arrives (benchmarks time them). */
  onEvent?(event: StockEvent, receivedAt: number): void;
}

export class SseSubscriber {
  latest?: StockEvent;
  /** Every event in arrival order. */
  readonly events: StockEvent[] = [];
  retryMs?: number;
  lastEventId?: string;
  comments = 0;
  closed = false;
  private buffer = '';

  private constructor(
    private readonly request: http.ClientRequest,
    readonly response: http.IncomingMessage,
    private readonly onEvent?: SubscribeOptions['onEvent'],
  ) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.take(chunk));
    response.on('close', () => (this.closed = true));
  }

  /** Resolves once the stream's headers arrive; rejects with the status and body of any other answer. */
  static open(baseUrl: string, productId: number, options: SubscribeOptions = {}): Promise<SseSubscriber> {
    const headers: http.OutgoingHttpHeaders = { accept: 'text/event-stream' };
    if (options.lastEventId !== undefined) headers['last-event-id'] = String(options.lastEventId);
    return new Promise((resolve, reject) => {
      const request = http.get(`${baseUrl}/api/v1/stock/stream?productId=${productId}`, { headers, agent: false });
      request.once('error', reject);
      request.once('response', (response) => {
        if (response.statusCode === 200) return resolve(new SseSubscriber(request, response, options.onEvent));
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => reject(new Error(`stream answered ${response.statusCode}: ${body}`)));
      });
    });
  }

  /** Resolves when the newest event satisfies `condition`; rejects after `timeoutMs`. */
  async until(condition: (latest: StockEvent) => boolean, timeoutMs = 10_000): Promise<StockEvent> {
    const deadline = Date.now() + timeoutMs;
    while (!(this.latest && condition(this.latest))) {
      if (Date.now() > deadline)
        throw new Error(`no matching event within ${timeoutMs} ms; newest ${JSON.stringify(this.latest)}`);
      await sleep(20);
    }
    return this.latest;
  }

  /** Stops reading: the server's writes back up as they would for a slow client. */
  pause(): void {
    this.response.pause();
  }

  resume(): void {
    this.response.resume();
  }

  close(): void {
    this.request.destroy();
  }

  private take(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.dispatch(block.split('\n'));
    }
  }

  private dispatch(lines: string[]): void {
    let data: string | undefined;
    for (const line of lines) {
      if (line.startsWith(':')) this.comments += 1;
      else if (line.startsWith('retry: ')) this.retryMs = Number(line.slice(7));
      else if (line.startsWith('id: ')) this.lastEventId = line.slice(4);
      else if (line.startsWith('data: ')) data = line.slice(6);
    }
    if (data === undefined) return;
    const event = JSON.parse(data) as StockEvent;
    this.events.push(event);
    this.onEvent?.(event, Date.now());
    if (!this.latest || event.version > this.latest.version) this.latest = event;
  }
}
