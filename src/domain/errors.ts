/**
 * The one error type the API turns into a response: a stable machine code,
 * a message for humans, and the HTTP status it maps to.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

export const rejectionMessages: Record<string, string> = {
  SOLD_OUT: 'This product is sold out.',
  INSUFFICIENT_STOCK: 'Not enough stock left for this quantity.',
  PURCHASE_LIMIT: 'This purchase would exceed the per-buyer limit for this product.',
  PRODUCT_NOT_FOUND: 'No such product.',
  IDEMPOTENCY_KEY_REUSED: 'This Idempotency-Key was used for another request; use a new key for a new purchase.',
  COMMIT_FAILED: 'The purchase could not be recorded; nothing was charged and the stock was released.',
  STOCK_UNAVAILABLE: 'Stock could not be reserved right now; nothing was charged. Please retry.',
};
