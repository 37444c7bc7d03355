/**
 * What the API answers, as zod schemas, for the OpenAPI document. Routes
 * build their answers from the domain types; `satisfies` ties a schema to its
 * type where the two can be compared, the OpenAPI test checks real answers
 * against these, and the fuzzer (tools/fuzz.sh) checks every answer it gets.
 */
import { z } from 'zod';
import type { BackupReport } from '../../workflows/backup';
import type { ProductReconciliation } from '../../activities/reconciliation';
import { API_KEY_SCOPES } from '../../api-keys/api-keys';
import type { Product } from '../../catalog/products';
import { ERROR_CODES, ERRORS, type ErrorCode } from '../../domain/errors';
import { FAILURE_REASONS, PURCHASE_STATUSES, REJECTION_REASONS } from '../../domain/purchase';
import type { ProductStock, RecentOrder, SaleReport } from '../operator/operator-types';

const positiveId = z.number().int().positive();
const trackingId = z.uuid().meta({ description: 'Also the Temporal workflow id, prefixed with `purchase-`' });

/** The error shape, its `code` limited to the codes given (by default, every code in the registry). */
export function errorResponseOf(codes: readonly ErrorCode[]) {
  return z
    .object({
      error: z
        .object({
          code: z.enum(codes).meta({ description: 'Stable machine code, e.g. SOLD_OUT' }),
          message: z.string().meta({ description: 'For people; never a stack trace or an internal message' }),
          details: z.unknown().optional().meta({
            description: 'VALIDATION_FAILED: each problem; a purchase decided by its workflow: its trackingId',
          }),
        })
        .strict(),
    })
    .strict();
}

export const errorResponse = errorResponseOf(ERROR_CODES).meta({ id: 'Error' });

/** One example answer per code, with the registry's message, for a response's documentation. */
export function errorExamples(codes: readonly ErrorCode[]) {
  return Object.fromEntries(codes.map((code) => [code, { value: { error: { code, message: ERRORS[code].message } } }]));
}

export const productResponse = z
  .object({
    id: positiveId,
    name: z.string(),
    price: z.number().nonnegative(),
    stock: z.number().int().nonnegative(),
    maxPerUser: z.number().int().positive(),
  })
  .strict()
  .meta({ id: 'Product' }) satisfies z.ZodType<Product>;

export const productViewResponse = productResponse
  .extend({
    available: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'Units the admission gate (Redis) still has; `stock` is PostgreSQL' }),
  })
  .meta({ id: 'ProductView' });

export const productPageResponse = z
  .object({
    products: z.array(productViewResponse).meta({ description: 'Newest first' }),
    next: z
      .string()
      .startsWith('/api/v1/products?')
      .nullable()
      .meta({ description: 'The next page; null on the last one' }),
  })
  .strict()
  .meta({ id: 'ProductPage' });

export const apiKeyCreatedResponse = z
  .object({
    id: z.string().regex(/^[0-9a-f]{16}$/),
    name: z.string(),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    createdBy: z.string(),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    revokedAt: z.null(),
    secret: z
      .string()
      .regex(/^pck_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/)
      .meta({ description: 'Shown in this answer only: send it as `Authorization: ApiKey <secret>`' }),
  })
  .strict()
  .meta({ id: 'ApiKeyCreated' });

export const purchaseViewResponse = z
  .object({
    trackingId,
    status: z.enum(PURCHASE_STATUSES),
    productId: positiveId,
    quantity: z.number().int().positive(),
    orderId: positiveId.optional(),
    reason: z.enum([...REJECTION_REASONS, ...FAILURE_REASONS]).optional(),
  })
  .strict()
  .meta({ id: 'Purchase' });

export const purchaseConfirmedResponse = purchaseViewResponse
  .extend({ status: z.literal('CONFIRMED'), orderId: positiveId })
  .meta({ id: 'PurchaseConfirmed' });

export const purchaseAcceptedResponse = z
  .object({
    trackingId,
    status: z.literal('PENDING'),
    statusUrl: z.string().startsWith('/api/v1/purchases/'),
  })
  .strict()
  .meta({ id: 'PurchaseAccepted' });

export const healthResponse = z.object({ status: z.literal('ok') }).strict();

export const readinessResponse = z
  .object({
    status: z.enum(['ready', 'not ready']),
    checks: z.record(z.string(), z.string()).meta({ description: '"ok" or "down: <reason>" per dependency' }),
  })
  .strict();

export const operatorProductResponse = productViewResponse
  .extend({ soldUnits: z.number().int().nonnegative() })
  .meta({ id: 'OperatorProduct' }) satisfies z.ZodType<ProductStock>;

export const recentOrderResponse = z
  .object({
    orderId: positiveId,
    trackingId,
    userId: z.string(),
    quantity: z.number().int().positive(),
    createdAt: z.string(),
    workflowUrl: z.string().meta({ description: "The purchase's workflow in the Temporal Web UI" }),
  })
  .strict()
  .meta({ id: 'RecentOrder' }) satisfies z.ZodType<RecentOrder>;

const count = z.number().int().nonnegative();

export const saleReportResponse = z
  .object({
    productId: positiveId,
    stock: count,
    orders: count,
    units: count,
    revenue: z.number().nonnegative().meta({ description: 'Σ unit_price × quantity over the orders' }),
    sellThroughSeconds: z
      .number()
      .nonnegative()
      .nullable()
      .meta({ description: 'First order to last, once stock is 0; null while units remain' }),
    timeline: z.array(
      z
        .object({
          at: z.string().meta({ description: 'The second, ISO 8601' }),
          orders: count,
          units: count,
          stock: z.number().int().meta({ description: 'Stock at the end of that second, from the orders after it' }),
        })
        .strict(),
    ),
  })
  .strict()
  .meta({ id: 'SaleReport' }) satisfies z.ZodType<SaleReport>;

export const reconciliationResponse = z
  .object({
    products: z.array(
      z
        .object({
          productId: positiveId,
          action: z.enum(['REBUILT', 'RECONCILED']),
          drift: z.number().int(),
          available: z.number().int(),
          orphansReleased: z.number().int().nonnegative(),
          orphansStarted: z.number().int().nonnegative(),
        })
        .strict() satisfies z.ZodType<ProductReconciliation>,
    ),
  })
  .strict()
  .meta({ id: 'Reconciliation' });

export const backupResponse = z
  .object({
    file: z.string().meta({ description: "The dump on the worker's disk (pg_dump's custom format: pg_restore it)" }),
    bytes: z.number().int().nonnegative(),
    removed: z.array(z.string()).meta({ description: 'Older dumps deleted to keep the newest BACKUP_KEEP' }),
  })
  .strict()
  .meta({ id: 'Backup' }) satisfies z.ZodType<BackupReport>;
