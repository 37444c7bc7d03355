import type { Context, Middleware } from 'koa';
import { AppError, type ErrorCode } from '../../domain/errors';
import type { Logger } from '../../logger';

const JSON_TYPE = 'application/json; charset=utf-8';

interface HttpError {
  status?: number;
}

/**
 * The one place errors become responses: `{error: {code, message, details?}}`.
 * Client mistakes keep their 4xx; anything unexpected is a 500 with a generic
 * message, logged with its stack, never shown.
 */
export function errorMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        // Naming the method and path tells a client which of its calls went astray.
        throw new AppError('NOT_FOUND', { message: `No route for ${ctx.method} ${ctx.path}` });
      }
      // The routers refuse a method with a status and the Allow header only (their `throw` option would drop
      // the header): the body in the error shape is written here.
      if (ctx.status >= 400 && ctx.body === undefined) ctx.throw(ctx.status);
    } catch (err) {
      const appError = toAppError(err);
      if (appError.httpStatus >= 500) logger.error({ err, path: ctx.path }, 'request failed');
      answerError(ctx, appError);
    }
  };
}

/**
 * Writes an error's answer: its status and `{error: {code, message, details?}}`. Typed and serialised here:
 * Koa then neither looks the type up nor stringifies the crowd's refusals again. A route may answer a refusal
 * this way instead of throwing it (the sold-out path does).
 */
export function answerError(ctx: Context, appError: AppError): void {
  ctx.status = appError.httpStatus;
  ctx.set('Content-Type', JSON_TYPE);
  ctx.body = JSON.stringify({
    error: {
      code: appError.code,
      message: appError.message,
      ...(appError.details === undefined ? {} : { details: appError.details }),
    },
  });
}

/**
 * Errors thrown below us (body parser, router) become the registry's code for their status;
 * a 4xx the registry has no code for is a 400 BAD_REQUEST.
 */
const CLIENT_ERROR_CODES: Record<number, ErrorCode> = {
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/** @koa/router answers a method no route has at all (TRACE, PROPFIND) with 501; for the client it is a 405. */
const NOT_IMPLEMENTED = 501;

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const thrown = (err as HttpError).status ?? 500;
  const status = thrown === NOT_IMPLEMENTED ? 405 : thrown;
  if (status < 400 || status >= 500) return new AppError('INTERNAL');
  // The body parser's 400 is about the JSON itself, before any field could be checked.
  if (status === 400) return new AppError('VALIDATION_FAILED', { message: 'The request body is not valid JSON.' });
  return new AppError(CLIENT_ERROR_CODES[status] ?? 'BAD_REQUEST');
}
