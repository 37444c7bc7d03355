/**
 * The OpenAPI 3.1 document of the JSON API, generated from the zod schemas
 * the routes parse with (validation.ts) and those of their answers
 * (responses.ts). Nothing here restates a field: change a schema and the
 * document follows.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ordersLimit, productsLimit, saleSeconds } from '../routes/operator';
import {
  createProductBody,
  idempotencyKeyHeader,
  idParam,
  purchaseBody,
  reconcileBody,
  restockBody,
  trackingIdParam,
} from '../validation';
import {
  errorResponse,
  healthResponse,
  operatorProductResponse,
  productResponse,
  productViewResponse,
  purchaseAcceptedResponse,
  purchaseConfirmedResponse,
  purchaseViewResponse,
  readinessResponse,
  recentOrderResponse,
  reconciliationResponse,
  saleReportResponse,
} from './responses';

type Responses = Record<number, ResponseConfig>;

const json = (schema: z.ZodType, description: string): ResponseConfig => ({
  description,
  content: { 'application/json': { schema } },
});
const refused = (description: string) => json(errorResponse, description);
const jsonBody = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema } } });

const invalid = refused('VALIDATION_FAILED: the body or a parameter is not valid; `details` names each problem');
const BODY_REFUSALS: Responses = {
  400: invalid,
  413: refused('PAYLOAD_TOO_LARGE: the body is over 16 kB'),
  415: refused('UNSUPPORTED_MEDIA_TYPE: the body is not application/json'),
};
const AUTH_REFUSALS: Responses = {
  401: refused('UNAUTHENTICATED: no Bearer token, or one that is forged, expired, not yet valid or for someone else'),
  503: refused('TEMPORARILY_UNAVAILABLE: tokens cannot be checked right now (the key set is unreachable)'),
};
const ADMIN_REFUSALS: Responses = { ...AUTH_REFUSALS, 403: refused('FORBIDDEN: the token has no "admin" role') };

const bearer = [{ bearerAuth: [] }];
const productPath = z.object({ id: idParam });

/** Lets a reader, or the fuzzer's stateful phase, follow a purchase answer to its status. */
const toPurchaseStatus = {
  status: { operationId: 'getPurchase', parameters: { trackingId: '$response.body#/trackingId' } },
};

const accepted = (description: string): ResponseConfig => ({
  ...json(purchaseAcceptedResponse, description),
  headers: z.object({ Location: z.string().meta({ description: 'The statusUrl to poll' }) }),
  links: toPurchaseStatus,
});

/** Both purchase patterns take the same request and refuse in the same ways. */
function purchaseRequest(pattern: 'sync' | 'async') {
  return {
    method: 'post' as const,
    path: `/api/v1/${pattern}/purchase`,
    operationId: `${pattern}Purchase`,
    tags: ['purchases'],
    security: bearer,
    request: {
      headers: z.object({ 'idempotency-key': idempotencyKeyHeader }),
      body: jsonBody(purchaseBody.meta({ id: 'PurchaseRequest' })),
    },
  };
}

const PURCHASE_REFUSALS: Responses = {
  ...BODY_REFUSALS,
  ...AUTH_REFUSALS,
  404: refused('PRODUCT_NOT_FOUND'),
  409: refused('SOLD_OUT, INSUFFICIENT_STOCK or PURCHASE_LIMIT; `details.trackingId` when a workflow decided it'),
  429: {
    ...refused('RATE_LIMITED: too many purchase attempts from this buyer or this address'),
    headers: z.object({
      'Retry-After': z
        .string()
        .regex(/^[0-9]+$/)
        .meta({ description: 'Seconds to wait' }),
    }),
  },
  503: refused('PURCHASE_FAILED (nothing was charged) or TEMPORARILY_UNAVAILABLE: retry later'),
};

function register(registry: OpenAPIRegistry): void {
  registry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });

  registry.registerPath({
    method: 'get',
    path: '/api/v1/products/{id}',
    operationId: 'getProduct',
    tags: ['products'],
    summary: 'A product: stock in PostgreSQL and units available at the admission gate',
    request: { params: productPath },
    responses: {
      200: json(productViewResponse, 'The product'),
      400: invalid,
      404: refused('PRODUCT_NOT_FOUND'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/v1/admin/products',
    operationId: 'createProduct',
    tags: ['admin'],
    summary: 'Create a product (audited)',
    security: bearer,
    request: { body: jsonBody(createProductBody.meta({ id: 'NewProduct' })) },
    responses: {
      201: json(productResponse, 'Created; its stock is open for sale'),
      ...BODY_REFUSALS,
      ...ADMIN_REFUSALS,
      409: refused('PRODUCT_EXISTS: that id is taken'),
    },
  });
  registry.registerPath({
    method: 'put',
    path: '/api/v1/admin/products/{id}/stock',
    operationId: 'restockProduct',
    tags: ['admin'],
    summary: 'Set the stock (audited); the admission gate follows',
    security: bearer,
    request: { params: productPath, body: jsonBody(restockBody.meta({ id: 'Restock' })) },
    responses: {
      200: json(productResponse, 'The product with its new stock'),
      ...BODY_REFUSALS,
      ...ADMIN_REFUSALS,
      404: refused('PRODUCT_NOT_FOUND'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/v1/admin/products',
    operationId: 'listProducts',
    tags: ['admin'],
    summary: 'Products with stock, available and sold units, for the operator view',
    security: bearer,
    request: { query: z.object({ limit: productsLimit }) },
    responses: { 200: json(z.array(operatorProductResponse), 'The products'), 400: invalid, ...ADMIN_REFUSALS },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/v1/admin/products/{id}/orders',
    operationId: 'listRecentOrders',
    tags: ['admin'],
    summary: "A product's newest orders, each with its workflow in the Temporal Web UI",
    security: bearer,
    request: { params: productPath, query: z.object({ limit: ordersLimit }) },
    responses: { 200: json(z.array(recentOrderResponse), 'Newest first'), 400: invalid, ...ADMIN_REFUSALS },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/v1/admin/products/{id}/sale',
    operationId: 'saleReport',
    tags: ['admin'],
    summary: "A product's sale from its orders: revenue, units, sell-through time, orders and stock per second",
    security: bearer,
    request: { params: productPath, query: z.object({ seconds: saleSeconds }) },
    responses: {
      200: json(saleReportResponse, 'The sale'),
      400: invalid,
      ...ADMIN_REFUSALS,
      404: refused('PRODUCT_NOT_FOUND'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/v1/admin/reconcile',
    operationId: 'reconcile',
    tags: ['admin'],
    summary: 'Compare Redis with PostgreSQL and open reservations now, and repair drift',
    security: bearer,
    request: { body: { ...jsonBody(reconcileBody.meta({ id: 'ReconcileRequest' })), required: false } },
    responses: {
      200: json(reconciliationResponse, 'What each product needed'),
      ...BODY_REFUSALS,
      ...ADMIN_REFUSALS,
    },
  });
  registry.registerPath({
    ...purchaseRequest('sync'),
    summary: 'Buy, and wait for the outcome until the sync deadline',
    responses: {
      200: { ...json(purchaseConfirmedResponse, 'Confirmed: the order exists'), links: toPurchaseStatus },
      202: accepted('Still running at the deadline: poll statusUrl'),
      ...PURCHASE_REFUSALS,
    },
  });
  registry.registerPath({
    ...purchaseRequest('async'),
    summary: 'Buy, and poll for the outcome',
    responses: { 202: accepted('Admitted: poll statusUrl'), ...PURCHASE_REFUSALS },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/v1/purchases/{trackingId}',
    operationId: 'getPurchase',
    tags: ['purchases'],
    summary: "A purchase's status, for its buyer or an admin",
    security: bearer,
    request: { params: z.object({ trackingId: trackingIdParam }) },
    responses: {
      200: json(purchaseViewResponse, 'The purchase'),
      400: invalid,
      ...AUTH_REFUSALS,
      404: refused("PURCHASE_NOT_FOUND: unknown, or someone else's"),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/v1/stock/stream',
    operationId: 'streamStock',
    tags: ['products'],
    summary: 'Available units as Server-Sent Events; each `data` is {productId, available, ts}',
    request: { query: z.object({ productId: idParam }) },
    responses: {
      200: { description: 'The event stream', content: { 'text/event-stream': { schema: z.string() } } },
      400: invalid,
      404: refused('PRODUCT_NOT_FOUND'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/health',
    operationId: 'health',
    tags: ['operations'],
    summary: 'Liveness',
    responses: { 200: json(healthResponse, 'The process answers') },
  });
  registry.registerPath({
    method: 'get',
    path: '/ready',
    operationId: 'ready',
    tags: ['operations'],
    summary: 'Readiness of PostgreSQL, Redis, RabbitMQ and Temporal',
    responses: {
      200: json(readinessResponse, 'Every dependency answers'),
      503: json(readinessResponse, 'Some dependency does not'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tags: ['operations'],
    summary: 'Prometheus metrics',
    responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } } },
  });
}

/** Built once per process: the schemas do not change while it runs. */
export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  register(registry);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'PulseCart',
      version: '1',
      description:
        'Flash-sale purchases that never oversell. Every error is `{"error": {"code", "message", "details"?}}`.',
    },
  });
}
