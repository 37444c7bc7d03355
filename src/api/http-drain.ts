import type { Server, ServerResponse } from 'node:http';

/**
 * Stops an HTTP server without cutting a request: no new connections, every
 * request in flight answered. Node's `server.close()` alone waits for every
 * keep-alive connection to time out, and a load balancer's pooled connection
 * may bring new requests meanwhile; so while draining, each answer carries
 * `Connection: close`, and a connection that goes idle is closed at once.
 */
export class HttpDrain {
  private readonly inFlight = new Set<ServerResponse>();
  private draining = false;

  /** Install it when the server starts, so that it knows the requests in flight when the signal comes. */
  constructor(private readonly server: Server) {
    server.on('request', (_req, res: ServerResponse) => this.track(res));
  }

  get requestsInFlight(): number {
    return this.inFlight.size;
  }

  /**
   * Resolves true once every connection is closed, or false when `deadlineMs`
   * passed first: then the connections still open are cut.
   */
  async drain(deadlineMs: number): Promise<boolean> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const res of this.inFlight) closeAfter(res);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), deadlineMs)));
    const outcome = await Promise.race([closed, expired]);
    clearTimeout(timer);
    if (outcome !== 'expired') return true;
    this.server.closeAllConnections();
    await closed;
    return false;
  }

  private track(res: ServerResponse): void {
    if (this.draining) closeAfter(res);
    this.inFlight.add(res);
    res.once('close', () => {
      this.inFlight.delete(res);
      // A streamed response (SSE) sent its keep-alive headers before the drain began: its socket is idle now.
      if (this.draining) setImmediate(() => this.server.closeIdleConnections());
    });
  }
}

function closeAfter(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('Connection', 'close');
}
