import type { Middleware } from 'koa';
import { AppError } from '../../domain/errors';
import type { Logger } from '../../logger';

interface HttpError {
  status?: number;
  expose?: boolean;
  type?: string;
  message?: string;
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
        throw new AppError('NOT_FOUND', `No route for ${ctx.method} ${ctx.path}`, 404);
      }
    } catch (err) {
      const appError = toAppError(err);
      if (appError.httpStatus >= 500) logger.error({ err, path: ctx.path }, 'request failed');
      ctx.status = appError.httpStatus;
      ctx.body = {
        error: {
          code: appError.code,
          message: appError.message,
          ...(appError.details === undefined ? {} : { details: appError.details }),
        },
      };
    }
  };
}

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const httpError = err as HttpError;
  if (httpError.type === 'entity.parse.failed') return new AppError('VALIDATION_FAILED', 'Body is not valid JSON', 400);
  if (httpError.type === 'entity.too.large') return new AppError('PAYLOAD_TOO_LARGE', 'Body is too large', 413);
  const status = httpError.status ?? 500;
  if (status >= 400 && status < 500 && httpError.expose) {
    return new AppError('BAD_REQUEST', httpError.message ?? 'Bad request', status);
  }
  return new AppError('INTERNAL', 'Something went wrong on our side; please try again.', 500);
}
