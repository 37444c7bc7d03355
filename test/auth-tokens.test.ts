import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWTPayload, type KeyLike } from 'jose';
import { startPulseCart, type Harness } from './support/harness';

/**
 * Tokens are checked with the one algorithm the deployment configures, must
 * carry exp and a sub of at most 128 characters, with exp/nbf (small clock
 * skew allowed) and, when configured, iss and aud.
 */

interface Signing {
  alg: 'HS256' | 'RS256';
  key: KeyLike | Uint8Array;
  kid?: string;
}

const seconds = (fromNow: number) => Math.floor(Date.now() / 1000) + fromNow;

/** Valid for an hour unless `claims` says otherwise; `exp: undefined` leaves exp out. */
function sign(claims: JWTPayload, { alg, key, kid }: Signing): Promise<string> {
  return new SignJWT({ roles: [], exp: seconds(3600), ...claims })
    .setProtectedHeader({ alg, kid })
    .setIssuedAt()
    .sign(key);
}

/** 404 for a purchase nobody made means the token was accepted; 401 that it was not. */
async function statusWith(h: Harness, token: string): Promise<number> {
  return (await h.request('GET', `/api/v1/purchases/${randomUUID()}`, { token })).status;
}

describe('tokens with HS256, an issuer and an audience configured', () => {
  let h: Harness;
  let hs256: Signing;
  const expected = { iss: 'https://id.pulsecart.test', aud: 'pulsecart-api' };

  beforeAll(async () => {
    h = await startPulseCart(
      { JWT_ISSUER: expected.iss, JWT_AUDIENCE: expected.aud, JWT_CLOCK_TOLERANCE_S: 5 },
      { withWorker: false },
    );
    hs256 = { alg: 'HS256', key: new TextEncoder().encode(h.config.JWT_SECRET) };
  });
  afterAll(() => h.close());

  it('when iss, aud and the times are right, then the token is accepted', async () => {
    expect(await statusWith(h, await sign({ sub: h.buyer(), ...expected }, hs256))).toBe(404);
  });

  it('when nbf is a minute ahead, then 401 UNAUTHENTICATED', async () => {
    const early = await sign({ sub: h.buyer(), ...expected, nbf: seconds(60) }, hs256);

    const response = await h.request('GET', `/api/v1/purchases/${randomUUID()}`, { token: early });

    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('when nbf or exp is off by less than the clock tolerance, then the token is accepted', async () => {
    expect(await statusWith(h, await sign({ sub: h.buyer(), ...expected, nbf: seconds(2) }, hs256))).toBe(404);
    expect(await statusWith(h, await sign({ sub: h.buyer(), ...expected, exp: seconds(-2) }, hs256))).toBe(404);
  });

  it('when the token has no exp, then 401 UNAUTHENTICATED saying exp is required: it would never expire', async () => {
    const forever = await sign({ sub: h.buyer(), ...expected, exp: undefined }, hs256);

    const response = await h.request('GET', `/api/v1/purchases/${randomUUID()}`, { token: forever });

    expect(response.status).toBe(401);
    expect(response.body.error).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/"exp"/) });
  });

  it('when sub is 128 characters, then the token is accepted; at 129, 401 UNAUTHENTICATED saying sub is too long', async () => {
    const longest = h.buyer().padEnd(128, 'x');

    const refused = await h.request('GET', `/api/v1/purchases/${randomUUID()}`, {
      token: await sign({ sub: `${longest}x`, ...expected }, hs256),
    });

    expect(await statusWith(h, await sign({ sub: longest, ...expected }, hs256))).toBe(404);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/"sub".*128/) });
  });

  it.each([
    ['sub is missing', { sub: undefined }],
    ['sub is empty', { sub: '' }],
    ['iss is another issuer', { iss: 'https://evil.test' }],
    ['iss is missing', { iss: undefined }],
    ['aud is another audience', { aud: 'another-api' }],
    ['aud is missing', { aud: undefined }],
  ])('when %s, then 401 UNAUTHENTICATED', async (_case, change) => {
    expect(await statusWith(h, await sign({ sub: h.buyer(), ...expected, ...change }, hs256))).toBe(401);
  });
});

describe('tokens with RS256 from a JSON Web Key Set', () => {
  let h: Harness;
  let jwks: Server;
  let rs256: Signing;
  let publicKeyPem: string;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    rs256 = { alg: 'RS256', key: privateKey, kid: 'pulsecart-test-1' };
    publicKeyPem = await exportSPKI(publicKey);
    const keySet = { keys: [{ ...(await exportJWK(publicKey)), kid: rs256.kid, alg: 'RS256', use: 'sig' }] };
    jwks = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify(keySet)));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
    h = await startPulseCart({ JWT_JWKS_URL: url });
  });
  afterAll(async () => {
    await h.close();
    await new Promise((resolve) => jwks.close(resolve));
  });

  it('when an admin and a buyer use RS256 tokens signed by the key set, then the admin creates and the buyer buys', async () => {
    const admin = await sign({ sub: `admin-${randomUUID()}`, roles: ['admin'] }, rs256);
    const buyer = await sign({ sub: h.buyer() }, rs256);

    const created = await h.request('POST', '/api/v1/admin/products', {
      token: admin,
      body: { name: 'RS256 product', price: 1, stock: 1 },
    });
    const bought = await h.request('POST', '/api/v1/sync/purchase', {
      token: buyer,
      body: { productId: created.body.id, quantity: 1 },
    });

    expect(created.status).toBe(201);
    expect(bought.status).toBe(200);
    expect(bought.body.status).toBe('CONFIRMED');
  });

  it('when an RS256 token signed by the key set has no exp, then 401 UNAUTHENTICATED', async () => {
    expect(await statusWith(h, await sign({ sub: h.buyer(), exp: undefined }, rs256))).toBe(401);
  });

  it('when a buyer whose RS256 token has a 300-character sub buys, then 401 and no unit is reserved', async () => {
    const admin = await sign({ sub: `admin-${randomUUID()}`, roles: ['admin'] }, rs256);
    const created = await h.request('POST', '/api/v1/admin/products', {
      token: admin,
      body: { name: 'Long subject product', price: 1, stock: 1 },
    });

    const bought = await h.request('POST', '/api/v1/sync/purchase', {
      token: await sign({ sub: h.buyer().padEnd(300, 'x') }, rs256),
      body: { productId: created.body.id, quantity: 1 },
    });
    const product = await h.request('GET', `/api/v1/products/${created.body.id}`);

    expect(bought.status).toBe(401);
    expect(bought.body.error.code).toBe('UNAUTHENTICATED');
    expect(product.body).toMatchObject({ stock: 1, available: 1 });
  });

  it('when an HS256 token is signed with JWT_SECRET, then 401: only RS256 is accepted', async () => {
    const hs256 = { alg: 'HS256' as const, key: new TextEncoder().encode(h.config.JWT_SECRET) };

    expect(await statusWith(h, await sign({ sub: h.buyer(), roles: ['admin'] }, hs256))).toBe(401);
  });

  it('when an HS256 token uses the public key as its secret (algorithm confusion), then 401', async () => {
    const confused = { alg: 'HS256' as const, key: new TextEncoder().encode(publicKeyPem), kid: rs256.kid };

    expect(await statusWith(h, await sign({ sub: h.buyer(), roles: ['admin'] }, confused))).toBe(401);
  });

  it('when an RS256 token is signed by a key outside the key set, then 401', async () => {
    const { privateKey } = await generateKeyPair('RS256');

    expect(await statusWith(h, await sign({ sub: h.buyer() }, { alg: 'RS256', key: privateKey }))).toBe(401);
  });
});

describe('tokens with RS256 while the key set cannot be fetched', () => {
  let h: Harness;
  let closedPort: number;

  beforeAll(async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    h = await startPulseCart({ JWT_JWKS_URL: `http://127.0.0.1:${closedPort}/jwks.json` }, { withWorker: false });
  });
  afterAll(() => h.close());

  it('when a buyer sends a token, then 503 TEMPORARILY_UNAVAILABLE, not a 401 that calls the token bad, and nothing internal', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await sign({ sub: h.buyer() }, { alg: 'RS256', key: privateKey, kid: 'any' });

    const response = await h.request('GET', `/api/v1/purchases/${randomUUID()}`, { token });

    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(JSON.stringify(response.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|jwks/i);
  });
});
