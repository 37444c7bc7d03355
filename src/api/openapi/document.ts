/**
 * The OpenAPI 3.1 document of the JSON API, generated from the zod schemas
 * the routes parse with (validation.ts) and those of their answers
 * (responses.ts). Nothing here restates a field: change a schema and the
 * document follows.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { ApiKeyScope } from '../../api-keys/api-keys';
import { ERRORS, type ErrorCode } from '../../domain/errors';
import { apiKeyIdParam, createApiKeyBody } from '../routes/api-keys';
import { ordersLimit, productsLimit, saleSeconds } from '../routes/operator';
import { productPageQuery } from '../routes/products';
import {
  createProductBody,
  idempotencyKeyHeader,
  idParam,
  purchaseBody,
  reconcileBody,
  restockBody,
  trackingIdParam,
  purchaseStatusQuery,
} from '../validation';
import {
  apiKeyCreatedResponse,
  backupResponse,
  errorExamples,
  errorResponseOf,
  healthResponse,
  operatorProductResponse,
  productPageResponse,
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
const jsonBody = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema } } });

/** Codes whose answers carry Retry-After: the client is told when to come back. */
const RETRY_AFTER_CODES: ReadonlySet<ErrorCode> = new Set(['RATE_LIMITED', 'TOO_MANY_STREAMS']);
const retryAfter = z.object({
  'Retry-After': z
    .string()
    .regex(/^[0-9]+$/)
    .meta({ description: 'Seconds to wait' }),
});

/** One status's answer: the codes it can carry (an enum), each with the registry's message as an example. */
function refusal(codes: ErrorCode[]): ResponseConfig {
  const response: ResponseConfig = {
    description: codes.map((code) => `${code}: ${ERRORS[code].message}`).join(' | '),
    content: { 'application/json': { schema: errorResponseOf(codes), examples: errorExamples(codes) } },
  };
  return codes.some((code) => RETRY_AFTER_CODES.has(code)) ? { ...response, headers: retryAfter } : response;
}

/** A route's error answers, by the status the registry gives each code it can answer with. */
function refusals(...codes: ErrorCode[]): Responses {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const { status } = ERRORS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries([...byStatus].map(([status, group]) => [status, refusal(group)]));
}

const BODY: ErrorCode[] = ['VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];
const AUTH: ErrorCode[] = ['UNAUTHENTICATED', 'TEMPORARILY_UNAVAILABLE'];
const ADMIN: ErrorCode[] = [...AUTH, 'FORBIDDEN'];

const bearer = [{ bearerAuth: [] }];
/** An admin's token, or a service's API key with this scope. */
const bearerOrApiKey = (scope: ApiKeyScope): Record<string, string[]>[] => [
  { bearerAuth: [] },
  { apiKeyAuth: [scope] },
];
const API_KEY: ErrorCode[] = [...ADMIN, 'INSUFFICIENT_SCOPE', 'RATE_LIMITED'];
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

const PURCHASE_REFUSALS = refusals(
  ...BODY,
  ...AUTH,
  'RATE_LIMITED',
  'PRODUCT_NOT_FOUND',
  'SOLD_OUT',
  'INSUFFICIENT_STOCK',
  'PURCHASE_LIMIT',
  'IDEMPOTENCY_KEY_REUSED',
  'STOCK_UNAVAILABLE',
  'PURCHASE_FAILED',
);

function register(registry: OpenAPIRegistry): void {
  registry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  registry.registerComponent('securitySchemes', 'apiKeyAuth', {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: '`ApiKey <secret>`, the secret an admin got from POST /api/v1/admin/api-keys',
  });

  registry.registerPath({
    method: 'get',
    path: '/api/v1/products',
    operationId: 'listSaleProducts',
    tags: ['products'],
    summary: "The sale's products, newest first, a small page at a time",
    request: { query: productPageQuery },
    responses: { 200: json(productPageResponse, 'A page of products'), ...refusals('VALIDATION_FAILED') },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/v1/products/{id}',
    operationId: 'getProduct',
    tags: ['products'],
    summary: 'A product: stock in PostgreSQL and units available at the admission gate',
    request: { params: productPath },
    responses: {
      200: json(productViewResponse, 'The product'),
      ...refusals('VALIDATION_FAILED', 'PRODUCT_NOT_FOUND'),
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
      ...refusals(...BODY, ...ADMIN, 'PRODUCT_EXISTS'),
    },
  });
  registry.registerPath({
    method: 'put',
    path: '/api/v1/admin/products/{id}/stock',
    operationId: 'restockProduct',
    tags: ['admin'],
    summary: 'Set the stock (audited); the admission gate follows',
    security: bearerOrApiKey('stock:write'),
    request: { params: productPath, body: jsonBody(restockBody.meta({ id: 'Restock' })) },
    responses: {
      200: json(productResponse, 'The product with its new stock'),
      ...refusals(...BODY, ...API_KEY, 'PRODUCT_NOT_FOUND'),
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
    responses: {
      200: json(z.array(operatorProductResponse), 'The products'),
      ...refusals('VALIDATION_FAILED', ...ADMIN),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/v1/admin/products/{id}/orders',
    operationId: 'listRecentOrders',
    tags: ['admin'],
    summary: "A product's newest orders, each with its workflow in the Temporal Web UI",
    security: bearerOrApiKey('orders:read'),
    request: { params: productPath, query: z.object({ limit: ordersLimit }) },
    responses: {
      200: json(z.array(recentOrderResponse), 'Newest first'),
      ...refusals('VALIDATION_FAILED', ...API_KEY, 'PRODUCT_NOT_FOUND'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/v1/admin/api-keys',
    operationId: 'createApiKey',
    tags: ['admin'],
    summary: 'Make an API key for a service (audited); its secret is in this answer and nowhere else',
    security: bearer,
    request: { body: jsonBody(createApiKeyBody.meta({ id: 'NewApiKey' })) },
    responses: {
      201: json(apiKeyCreatedResponse, 'Created; keep the secret, it cannot be shown again'),
      ...refusals(...BODY, ...ADMIN),
    },
  });
  registry.registerPath({
    method: 'delete',
    path: '/api/v1/admin/api-keys/{id}',
    operationId: 'revokeApiKey',
    tags: ['admin'],
    summary: 'Revoke an API key (audited); revoking it again changes nothing',
    security: bearer,
    request: { params: z.object({ id: apiKeyIdParam }) },
    responses: {
      204: { description: 'Revoked: calls with it are refused from now on' },
      ...refusals('VALIDATION_FAILED', ...ADMIN, 'API_KEY_NOT_FOUND'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/v1/admin/backups',
    operationId: 'backup',
    tags: ['admin'],
    summary: "Dump PulseCart's database now (pg_dump), as the daily schedule does, and keep the newest BACKUP_KEEP",
    security: bearer,
    responses: { 201: json(backupResponse, 'The new dump, and the old ones deleted'), ...refusals(...ADMIN) },
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
      ...refusals('VALIDATION_FAILED', ...ADMIN, 'PRODUCT_NOT_FOUND'),
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
      ...refusals(...BODY, ...ADMIN),
    },
  });
  registry.registerPath({
    ...purchaseRequest('sync'),
    summary: 'Buy, and wait for the outcome until the sync deadline (SYNC_DEADLINE_MS after the request arrived)',
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
    summary: "A purchase's status, for its buyer or an admin; `?wait=N` holds the answer up to N s until it ends",
    security: bearer,
    request: { params: z.object({ trackingId: trackingIdParam }), query: purchaseStatusQuery },
    responses: {
      200: json(purchaseViewResponse, 'The purchase'),
      ...refusals('VALIDATION_FAILED', ...AUTH, 'RATE_LIMITED', 'PURCHASE_NOT_FOUND'),
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
      ...refusals('VALIDATION_FAILED', 'PRODUCT_NOT_FOUND', 'TOO_MANY_STREAMS'),
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
