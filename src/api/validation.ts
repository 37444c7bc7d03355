import { z } from 'zod';
import { AppError } from '../domain/errors';

/** Parses input with a zod schema, or answers 400 VALIDATION_FAILED naming each problem. */
export function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  throw new AppError('VALIDATION_FAILED', { details });
}

const MAX_ID = 2 ** 53 - 1;
const id = z.number().int().positive().max(MAX_ID);

/** Path ids are decimal digits only: no signs, exponents or spaces, and no more than a safe integer. */
export const idParam = z.string().regex(decimalUpTo(MAX_ID), 'must be a positive integer').transform(Number).pipe(id);

/** `?limit=`, decimal digits only, capped so that one request stays cheap. */
/**
 * A pattern for the decimal numbers 1 to `max` (no sign, exponent or leading zero), so that the OpenAPI
 * document states the range a string parameter takes, not only its digits.
 */
function decimalUpTo(max: number): RegExp {
  const digits = String(max);
  const shorter = Array.from({ length: digits.length - 1 }, (_, i) => (i === 0 ? '[1-9]' : `[1-9][0-9]{${i}}`));
  const below = [...digits].flatMap((digit, i) => {
    const low = i === 0 ? 1 : 0;
    const rest = digits.length - i - 1;
    if (Number(digit) <= low) return [];
    return [`${digits.slice(0, i)}[${low}-${Number(digit) - 1}]${rest > 0 ? `[0-9]{${rest}}` : ''}`];
  });
  return new RegExp(`^(?:${[...shorter, ...below, digits].join('|')})$`);
}

export function limitQuery(fallback: number, max: number) {
  return z
    .string()
    .regex(decimalUpTo(max), `must be a whole number from 1 to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(1).max(max))
    .default(fallback);
}

export const trackingIdParam = z.string().uuid();

/** `?wait=N`: hold the status read up to N seconds for the purchase to end (a long poll instead of many polls). */
export const purchaseStatusQuery = z.object({ wait: z.coerce.number().int().min(0).max(30).optional() }).strict();

/** Printable ASCII, as the IETF Idempotency-Key draft suggests; long enough for a UUID or a hash. */
export const idempotencyKeyHeader = z
  .string()
  .regex(/^[\x21-\x7e]{1,128}$/, 'must be 1 to 128 printable ASCII characters')
  .optional();

export const purchaseBody = z
  .object({
    productId: id,
    quantity: z.number().int().min(1).max(100),
  })
  .strict();

export const createProductBody = z
  .object({
    id: id.optional(),
    name: z.string().trim().min(1).max(100),
    price: z.number().min(0).max(99_999_999.99).multipleOf(0.01),
    stock: z.number().int().min(0).max(1_000_000_000),
    maxPerUser: z.number().int().min(1).max(1_000_000).default(1),
  })
  .strict();

export const restockBody = z.object({ stock: z.number().int().min(0).max(1_000_000_000) }).strict();

export const reconcileBody = z.object({ productIds: z.array(id).min(1).max(1000).optional() }).strict();
