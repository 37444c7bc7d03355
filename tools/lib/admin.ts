/** What benchmarks and the fuzzer ask PulseCart as an operator: products, purchase statuses, metrics. */
import { loadConfig } from '../../src/config';
import { signToken } from './jwt';
import type { JsonClient } from './http';

export interface ProductView {
  id: number;
  stock: number;
  available: number | null;
}

export class AdminApi {
  private constructor(
    private readonly client: JsonClient,
    private readonly token: string,
  ) {}

  /** Signs an admin token with the JWT_SECRET the API uses (src/config.ts, same defaults). */
  static async connect(client: JsonClient): Promise<AdminApi> {
    const token = await signToken(loadConfig().JWT_SECRET, `bench-admin-${process.pid}`, {
      roles: ['admin'],
      expiresIn: '6h',
    });
    return new AdminApi(client, token);
  }

  async createProduct(product: { name: string; price: number; stock: number; maxPerUser: number }) {
    const reply = await this.client.call('POST', '/api/v1/admin/products', {
      token: this.token,
      json: JSON.stringify(product),
    });
    if (reply.status !== 201)
      throw new Error(`creating the product answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    return reply.body as ProductView & { maxPerUser: number };
  }

  /** Runs a reconciliation of every product now and waits for it, as an operator does before a sale. */
  async reconcileAll(): Promise<void> {
    const reply = await this.client.call('POST', '/api/v1/admin/reconcile', { token: this.token, json: '{}' });
    if (reply.status !== 200) throw new Error(`reconciling answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  }

  async product(id: number): Promise<ProductView> {
    return (await this.client.call('GET', `/api/v1/products/${id}`)).body;
  }

  /** The purchase's status as the API shows it, or undefined when it does not know it. */
  async purchaseStatus(trackingId: string): Promise<string | undefined> {
    const reply = await this.client.call('GET', `/api/v1/purchases/${trackingId}`, { token: this.token });
    return reply.status === 200 ? reply.body.status : undefined;
  }

  /**
   * pulsecart_workflows_started_total of this API instance, and of them those Temporal handed to it
   * (pulsecart_workflows_started_eagerly_total), if it exposes them.
   */
  async workflowsStarted(): Promise<{ started: number; eagerly: number } | undefined> {
    const reply = await this.client.call('GET', '/metrics');
    const text = typeof reply.body === 'string' ? reply.body : '';
    const counter = (name: string) => text.match(new RegExp(`^${name} (\\d+)`, 'm'))?.[1];
    const started = counter('pulsecart_workflows_started_total');
    if (started === undefined) return undefined;
    return { started: Number(started), eagerly: Number(counter('pulsecart_workflows_started_eagerly_total') ?? 0) };
  }
}
