import cors from '@koa/cors';
import Router from '@koa/router';
import { ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { payloadFromJson, payloadToJson } from '../../codec/payload-json';
import { AppError } from '../../domain/errors';
import { requireAdmin } from '../middleware/auth';
import { parse } from '../validation';

export interface CodecRouteDeps {
  codec: PayloadCodec;
  authenticate: Middleware;
  /** The Temporal Web UI's base URL: its origin is the one browser page allowed to call. */
  temporalUiUrl: string;
}

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const payloadsBody = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).nullish(), data: base64.nullish() })),
});

/**
 * The codec endpoint of the Temporal Web UI and CLI (`--codec-endpoint
 * <api>/codec`): `POST /codec/decode` shows operators the payloads PulseCart
 * encrypts, `POST /codec/encode` encrypts what they send from the UI. Both
 * decrypt user ids, so both are for administrators only.
 */
export function codecRoutes({ codec, authenticate, temporalUiUrl }: CodecRouteDeps): Router {
  const router = new Router({ prefix: '/codec' });
  // The UI's page calls from its own origin, with the token it holds and the namespace it shows.
  const uiCors = cors({
    origin: new URL(temporalUiUrl).origin,
    allowMethods: ['POST'],
    allowHeaders: ['Authorization', 'Content-Type', 'X-Namespace'],
    maxAge: 600,
  });
  const convert = (direction: 'encode' | 'decode'): Middleware[] => [
    uiCors,
    authenticate,
    requireAdmin,
    async (ctx) => {
      const payloads = parse(payloadsBody, ctx.request.body).payloads.map(payloadFromJson);
      ctx.body = { payloads: (await run(codec, direction, payloads)).map(payloadToJson) };
    },
  ];
  router.options(['/decode', '/encode'], uiCors);
  router.post('/decode', ...convert('decode'));
  router.post('/encode', ...convert('encode'));
  return router;
}

/**
 * A payload no known key opens is the caller's 400, not our 500: the codec's own messages name the missing key;
 * the cipher's (a tag that does not match) stay internal.
 */
async function run(codec: PayloadCodec, direction: 'encode' | 'decode', payloads: Payload[]): Promise<Payload[]> {
  try {
    return await codec[direction](payloads);
  } catch (err) {
    const reason = err instanceof ValueError ? err.message : 'it was altered, or its key is not the one its id names';
    throw new AppError('VALIDATION_FAILED', { message: `A payload cannot be decrypted: ${reason}`, cause: err });
  }
}
