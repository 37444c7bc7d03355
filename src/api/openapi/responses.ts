/**
 * What the API answers, as zod schemas, for the OpenAPI document. Routes
 * build their answers from the domain types; `satisfies` ties a schema to its
 * type where the two can be compared, the OpenAPI test checks real answers
 * against these, and the fuzzer (tools/fuzz.sh) checks every answer it gets.
 */
import { z } from 'zod';
import type { ProductReconciliation } from '../../activities/reconciliation';
import type { Product } from '../../catalog/products';
import { rejectionMessages } from '../../domain/errors';
import { PURCHASE_STATUSES } from '../../domain/purchase';
import type { ProductStock, RecentOrder, SaleReport } from '../storefront/operator-types';

const positiveId = z.number().int().positive();
const trackingId = z.uuid().meta({ description: 'Also the Temporal workflow id, prefixed with `purchase-`' });

export const errorResponse = z
  .object({
    error: z
      .object({
        code: z
          .string()
          .regex(/^[A-Z][A-Z0-9_]*$/)
          .meta({ description: 'Stable machine code, e.g. SOLD_OUT' }),
        message: z.string().meta({ description: 'For people; never a stack trace or an internal message' }),
        details: z.unknown().optional(),
      })
      .strict(),
  })
  .strict()
  .meta({ id: 'Error' });

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

export const purchaseViewResponse = z
  .object({
    trackingId,
    status: z.enum(PURCHASE_STATUSES),
    productId: positiveId,
    quantity: z.number().int().positive(),
    orderId: positiveId.optional(),
    reason: z.enum(Object.keys(rejectionMessages)).optional(),
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
        })
        .strict() satisfies z.ZodType<ProductReconciliation>,
    ),
  })
  .strict()
  .meta({ id: 'Reconciliation' });
