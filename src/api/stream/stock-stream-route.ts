import Router from '@koa/router';
import type { Context } from 'koa';
import { AppError } from '../../domain/errors';
import type { Inventory, StockSnapshot } from '../../inventory/inventory';
import type { Logger } from '../../logger';
import { idParam, parse } from '../validation';
import { SseConnection, type ConnectionTotals } from './sse-connection';
import type { StockStreams } from './stock-streams';

export interface StockStreamDeps {
  streams: StockStreams;
  inventory: Inventory;
  retryMs: number;
  /** How long nothing may go through a stream's socket before it is closed (its peer is gone or stuck). */
  stallTimeoutMs: number;
  totals: ConnectionTotals;
  logger: Logger;
}

/**
 * `GET /api/v1/stock/stream?productId=`: the product's available units as
 * Server-Sent Events, a snapshot first, then every change this instance hears of.
 */
export function stockStreamRoutes({
  streams,
  inventory,
  retryMs,
  stallTimeoutMs,
  totals,
  logger,
}: StockStreamDeps): Router {
  const router = new Router({ prefix: '/api/v1' });
  // A browser's EventSource gives up on an error answer; other clients get the wait a dropped stream is told.
  const retryAfterS = String(Math.ceil(retryMs / 1000));

  router.get('/stock/stream', async (ctx) => {
    const productId = parse(idParam, ctx.query.productId);
    const connection = new SseConnection(productId, ctx.ip, ctx.res, totals);
    // Subscribe before reading the snapshot, so that no change can fall between the two.
    const remove = streams.add(connection);
    if (!remove) {
      ctx.set('Retry-After', retryAfterS);
      throw new AppError('TOO_MANY_STREAMS');
    }
    const started = performance.now();
    ctx.res.once('close', () => {
      remove();
      if (!connection.isOpen) return;
      logger.info(
        { productId, ms: Math.round(performance.now() - started), ...connection.counters },
        'stock stream closed',
      );
    });
    let snapshot: StockSnapshot | undefined;
    try {
      snapshot = await inventory.snapshot(productId);
    } finally {
      if (!snapshot) remove();
    }
    if (!snapshot) throw new AppError('PRODUCT_NOT_FOUND');

    // A reconnecting browser that already has the current version needs no snapshot.
    if (lastEventId(ctx) === snapshot.version) connection.clientHas(snapshot.version);
    else connection.send({ productId, ...snapshot, ts: Date.now() });
    startEventStream(ctx, stallTimeoutMs);
    connection.open(retryMs);
  });

  return router;
}

/** Versions start from the clock in µs (16 digits), so any safe integer is a version. */
function lastEventId(ctx: Context): number | undefined {
  const header = ctx.get('last-event-id');
  const id = /^[0-9]{1,16}$/.test(header) ? Number(header) : Number.NaN;
  return Number.isSafeInteger(id) ? id : undefined;
}

/**
 * Headers go out now and the connection stays open: the handler writes to the
 * response itself (Koa's `respond = false`), so that backpressure is the
 * socket's own and a client's disconnect is no error.
 *
 * The heartbeat writes to every stream, so a live one never goes quiet. A peer
 * that resets the connection fails the next write; one that vanished or stopped
 * reading leaves the socket full and nothing goes through: after stallTimeoutMs
 * the socket is destroyed. Either way the response closes and the stream is removed.
 */
function startEventStream(ctx: Context, stallTimeoutMs: number): void {
  const socket = ctx.req.socket;
  socket.setNoDelay(true);
  socket.setTimeout(stallTimeoutMs, () => socket.destroy());
  ctx.respond = false;
  ctx.status = 200;
  ctx.type = 'text/event-stream';
  ctx.set('Cache-Control', 'no-cache, no-transform');
  // nginx would otherwise buffer the stream.
  ctx.set('X-Accel-Buffering', 'no');
  ctx.res.flushHeaders();
}
