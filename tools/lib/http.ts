/**
 * The load client: undici's Pool (keep-alive connections, no per-request
 * allocation of agents) with JSON bodies. Every request is timed from the
 * moment it is handed to the pool, so pool queueing counts as the buyer's wait.
 */
import { Pool } from 'undici';

export interface Reply {
  status: number;
  body: any;
  ms: number;
}

export interface CallOptions {
  token?: string;
  /** Already serialized, so a hot loop does not stringify the same body again and again. */
  json?: string;
  headers?: Record<string, string>;
}

export const NETWORK_ERROR = 0;

export class JsonClient {
  readonly pool: Pool;
  inFlight = 0;

  /** `ca`: a certificate authority to trust besides the system's (the development CA nginx's certificate has). */
  constructor(origin: string, connections: number, { ca }: { ca?: string } = {}) {
    this.pool = new Pool(origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      ...(ca && { connect: { ca } }),
    });
  }

  async call(method: string, path: string, { token, json, headers = {} }: CallOptions = {}): Promise<Reply> {
    const started = performance.now();
    this.inFlight += 1;
    try {
      const response = await this.pool.request({
        method: method as 'GET',
        path,
        headers: {
          ...headers,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(json === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: json,
      });
      const text = await response.body.text();
      return { status: response.statusCode, body: parseJson(text), ms: performance.now() - started };
    } catch (err) {
      const message = (err as Error).message;
      return {
        status: NETWORK_ERROR,
        body: { error: { code: 'NETWORK_ERROR', message } },
        ms: performance.now() - started,
      };
    } finally {
      this.inFlight -= 1;
    }
  }

  /**
   * Opens every connection before the load starts, as a proxy in front of
   * the API keeps its upstream connections open: a sale should not measure a
   * storm of TCP handshakes overflowing the API's accept queue (SYNs dropped
   * past Node's default backlog of 511 come back a second later).
   */
  async connectAll(connections: number): Promise<void> {
    await Promise.all(Array.from({ length: connections }, () => this.call('GET', '/health')));
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}
