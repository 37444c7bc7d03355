/**
 * What PulseCart stores in Temporal is encrypted: a client without the codec
 * (what anyone with access to Temporal's API or database sees) finds no user
 * id in any payload of a purchase; an administrator reads them through the
 * codec endpoint, as the Web UI and the CLI do; keys rotate.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../src/codec/encryption-codec';
import { payloadToJson } from '../src/codec/payload-json';
import { startPulseCart, type Harness } from './support/harness';

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString();
/**
 * The SDK's own record of each local activity (sequence, type, attempt, times) is written by its core, not
 * through the codec; the activity's input and result are.
 */
const LOCAL_ACTIVITY_MARKER_DATA = /markerRecordedEventAttributes\.details\.data\.payloads\.\d+$/;

interface Scanned {
  /** Encrypted payloads, and the paths of the others. */
  encrypted: Payload[];
  plainAt: string[];
  /** The text of every byte field outside search attributes. */
  bytes: string[];
  searchAttributes: string;
}

/** Walks a history (or any message of Temporal's API) and sorts what it carries. */
function scan(
  node: unknown,
  path = '',
  found: Scanned = { encrypted: [], plainAt: [], bytes: [], searchAttributes: '' },
) {
  if (node instanceof Uint8Array) {
    found.bytes.push(Buffer.from(node).toString('latin1'));
    return found;
  }
  if (node === null || typeof node !== 'object') return found;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'searchAttributes') {
      // Not payloads: List queries need them plain (docs/security.md).
      found.searchAttributes += scan(value).bytes.join('\n');
      continue;
    }
    if (value && typeof value === 'object' && 'data' in value && 'metadata' in value) {
      const payload = value as Payload;
      if (text(payload.metadata?.encoding) === ENCRYPTED_ENCODING) found.encrypted.push(payload);
      else found.plainAt.push(`${path}.${key}`);
    }
    scan(value, `${path}.${key}`, found);
  }
  return found;
}

describe('payload encryption', () => {
  let h: Harness;
  /** A client without the codec: Temporal's data as stored. */
  let raw: Client;
  beforeAll(async () => {
    h = await startPulseCart();
    raw = new Client({
      connection: await Connection.connect({ address: h.config.TEMPORAL_ADDRESS }),
      namespace: h.config.TEMPORAL_NAMESPACE,
    });
  });
  afterAll(async () => {
    await raw.connection.close();
    await h.close();
  });

  async function buy(harness: Harness, userId: string) {
    const { id: productId } = await harness.createProduct({ stock: 5 });
    const token = await harness.token(userId);
    const bought = await harness.request('POST', '/api/v1/sync/purchase', { token, body: { productId, quantity: 1 } });
    expect(bought.status).toBe(200);
    // The buyer hears CONFIRMED once the order is committed; the workflow's last task (its result) lands just after.
    await harness.temporal.workflow.getHandle(`purchase-${bought.body.trackingId}`).result();
    return { ...bought.body, token };
  }

  async function storedPayloads(trackingId: string) {
    const workflowId = `purchase-${trackingId}`;
    const history = await raw.workflow.getHandle(workflowId).fetchHistory();
    const described = await raw.workflowService.describeWorkflowExecution({
      namespace: h.config.TEMPORAL_NAMESPACE,
      execution: { workflowId },
    });
    return scan({ history, memo: described.workflowExecutionInfo?.memo });
  }

  it('when a purchase confirms, then no payload Temporal stores (input, result, memo, markers) holds the user id in the clear', async () => {
    const userId = h.buyer('encrypted');
    const { trackingId } = await buy(h, userId);

    const stored = await storedPayloads(trackingId);

    // The started event's input and memo, the memo described, the activities' inputs and results, the workflow result.
    expect(stored.encrypted.length).toBeGreaterThanOrEqual(6);
    for (const payload of stored.encrypted) {
      expect(text(payload.metadata?.[KEY_ID_METADATA])).toBe(h.config.PAYLOAD_KEYS?.[0].id);
    }
    expect(stored.plainAt.filter((path) => !LOCAL_ACTIVITY_MARKER_DATA.test(path))).toEqual([]);
    expect(stored.bytes.filter((bytes) => bytes.includes(userId))).toEqual([]);
    // Search attributes are not payloads: List queries need them plain, and there the user id is.
    expect(stored.searchAttributes).toContain(userId);
  });

  it('when an admin posts the stored payloads to /codec/decode, then the user id, product and order come back in the clear', async () => {
    const userId = h.buyer('decoded');
    const { trackingId, productId, orderId } = await buy(h, userId);
    const { encrypted } = await storedPayloads(trackingId);

    const decoded = await h.request('POST', '/codec/decode', {
      token: await h.adminToken(),
      body: { payloads: encrypted.map(payloadToJson) },
    });

    expect(decoded.status).toBe(200);
    const values = decoded.body.payloads.map((p: { data?: string }) => Buffer.from(p.data ?? '', 'base64').toString());
    expect(values.some((value: string) => value.includes(`"userId":"${userId}"`))).toBe(true);
    expect(values.some((value: string) => value.includes(`"orderId":${orderId}`))).toBe(true);
    expect(values.some((value: string) => value.includes(`"productId":${productId}`))).toBe(true);
  });

  it('when the codec endpoint is called without a token, then 401; with a buyer token, then 403', async () => {
    const body = { payloads: [] };

    expect((await h.request('POST', '/codec/decode', { body })).status).toBe(401);
    expect((await h.request('POST', '/codec/encode', { body })).status).toBe(401);
    const buyer = await h.token(h.buyer());
    const refused = await h.request('POST', '/codec/decode', { token: buyer, body });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('FORBIDDEN');
    expect((await h.request('POST', '/codec/encode', { token: buyer, body })).status).toBe(403);
  });

  it("when the Web UI's page asks first (CORS preflight), then only the UI's origin is allowed, with the headers the UI sends", async () => {
    const preflight = (origin: string) =>
      h.request('OPTIONS', '/codec/decode', {
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,x-namespace',
        },
      });
    const ui = await preflight(new URL(h.config.TEMPORAL_UI_URL).origin);
    const other = await preflight('https://evil.example');

    expect(ui.status).toBe(204);
    expect(ui.headers.get('access-control-allow-origin')).toBe(new URL(h.config.TEMPORAL_UI_URL).origin);
    expect(ui.headers.get('access-control-allow-headers')).toBe('Authorization,Content-Type,X-Namespace');
    expect(other.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
  });

  describe('when a new key becomes current', () => {
    let rotated: Harness;
    const newKeyId = `rotated-${randomBytes(3).toString('hex')}`;
    beforeAll(async () => {
      rotated = await startPulseCart({
        PAYLOAD_KEYS: [{ id: newKeyId, key: randomBytes(32) }, ...(h.config.PAYLOAD_KEYS ?? [])],
        PAYLOAD_KEY_ID: newKeyId,
      });
    });
    afterAll(() => rotated.close());

    it('then purchases stored under the old key still read, new ones use the new key id, and the old key alone cannot read them', async () => {
      const oldBuyer = h.buyer('before-rotation');
      const before = await buy(h, oldBuyer);

      const status = await rotated.request('GET', `/api/v1/purchases/${before.trackingId}`, { token: before.token });
      expect(status.status).toBe(200);
      expect(status.body).toMatchObject({ status: 'CONFIRMED', productId: before.productId, quantity: 1 });

      const after = await buy(rotated, rotated.buyer('after-rotation'));
      const stored = await storedPayloads(after.trackingId);
      expect(stored.encrypted.length).toBeGreaterThanOrEqual(6);
      expect(new Set(stored.encrypted.map((p) => text(p.metadata?.[KEY_ID_METADATA])))).toEqual(new Set([newKeyId]));

      const oldKeyOnly = await h.request('POST', '/codec/decode', {
        token: await h.adminToken(),
        body: { payloads: stored.encrypted.map(payloadToJson) },
      });
      expect(oldKeyOnly.status).toBe(400);
      expect(oldKeyOnly.body.error.message).toContain(`unknown key id "${newKeyId}"`);
    });
  });
});
