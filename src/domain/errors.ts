/**
 * Every error code the API answers with: its HTTP status and the message a
 * person reads. Routes throw a code, the error middleware renders it, and the
 * OpenAPI document lists each route's codes from here, so a code, its status
 * and its words are written once.
 */
export const ERRORS = {
  VALIDATION_FAILED: { status: 400, message: 'The request is not valid.' },
  BAD_REQUEST: { status: 400, message: 'The request cannot be handled as sent.' },
  UNAUTHENTICATED: { status: 401, message: 'A valid Bearer token is required.' },
  FORBIDDEN: { status: 403, message: 'This route is for administrators.' },
  INSUFFICIENT_SCOPE: { status: 403, message: 'This API key does not have the scope this route needs.' },
  NOT_FOUND: { status: 404, message: 'Nothing is served at this address.' },
  PRODUCT_NOT_FOUND: { status: 404, message: 'No such product.' },
  PURCHASE_NOT_FOUND: { status: 404, message: 'No such purchase.' },
  API_KEY_NOT_FOUND: { status: 404, message: 'No such API key.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'This method is not allowed on this route.' },
  SOLD_OUT: { status: 409, message: 'This product is sold out.' },
  INSUFFICIENT_STOCK: { status: 409, message: 'Not enough stock left for this quantity.' },
  PURCHASE_LIMIT: { status: 409, message: 'This purchase would exceed the per-buyer limit for this product.' },
  PRODUCT_EXISTS: { status: 409, message: 'A product with this id already exists.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send the body as application/json.' },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    message: 'This Idempotency-Key was used for another request; use a new key for a new purchase.',
  },
  RATE_LIMITED: { status: 429, message: 'Too many requests; retry after Retry-After seconds.' },
  INTERNAL: { status: 500, message: 'Something went wrong on our side; please try again.' },
  PURCHASE_FAILED: {
    status: 503,
    message: 'The purchase could not be completed; nothing was charged. Please retry.',
  },
  // The reason of a FAILED purchase (the buyer's answer is PURCHASE_FAILED with this message).
  COMMIT_FAILED: {
    status: 503,
    message: 'The purchase could not be recorded; nothing was charged and the stock was released.',
  },
  STOCK_UNAVAILABLE: { status: 503, message: 'Stock cannot be reserved right now; nothing was charged. Please retry.' },
  TEMPORARILY_UNAVAILABLE: { status: 503, message: 'This cannot be done right now; please retry.' },
  TOO_MANY_STREAMS: { status: 503, message: 'Too many open stock streams; retry after Retry-After seconds.' },
  STOREFRONT_NOT_BUILT: { status: 503, message: 'The storefront is not built: run `npm run build:web`.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export interface AppErrorOptions {
  /** Only where this situation tells the caller more than the registry's message. */
  message?: string;
  details?: unknown;
  cause?: unknown;
}

/** The one error type the API turns into a response: a code from the registry, its status and message. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly details?: unknown;

  constructor(code: ErrorCode, { message, details, cause }: AppErrorOptions = {}) {
    const { status } = ERRORS[code];
    // A refusal is an answer, not a fault: its stack would cost more than the rest of a sold-out answer.
    const stackTraceLimit = Error.stackTraceLimit;
    if (status < 500) Error.stackTraceLimit = 0;
    super(message ?? ERRORS[code].message, cause === undefined ? undefined : { cause });
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'AppError';
    this.code = code;
    this.httpStatus = status;
    this.details = details;
  }
}
