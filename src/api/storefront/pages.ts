import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Router from '@koa/router';
import type { Context } from 'koa';
import { AppError } from '../../domain/errors';

/** Bundles are named by the web build; nothing else under the assets folder is served. */
const ASSET_NAME = /^[a-z0-9-]+\.(js|css)$/;

/**
 * The storefront (`/`) and the operator view (`/operator`): static pages and
 * their bundles from the web build's folder. They talk to the JSON API like
 * any other client; no page data is rendered here.
 */
export function storefrontRoutes({ assetsDir }: { assetsDir: string }): Router {
  const root = path.resolve(assetsDir);
  const router = new Router();

  router.get('/', (ctx) => sendPage(ctx, root, 'storefront.html'));
  router.get('/operator', (ctx) => sendPage(ctx, root, 'operator.html'));
  router.get('/assets/:file', async (ctx) => {
    const file = ctx.params.file;
    if (!ASSET_NAME.test(file)) throw new AppError('NOT_FOUND');
    const body = await readFile(path.join(root, 'assets', file)).catch(() => {
      throw new AppError('NOT_FOUND');
    });
    send(ctx, file, body);
  });

  return router;
}

async function sendPage(ctx: Context, root: string, file: string): Promise<void> {
  const body = await readFile(path.join(root, file)).catch(() => {
    throw new AppError('STOREFRONT_NOT_BUILT');
  });
  send(ctx, file, body);
}

function send(ctx: Context, file: string, body: Buffer): void {
  ctx.type = path.extname(file);
  // Pages change with every build: the browser revalidates rather than guess.
  ctx.set('Cache-Control', 'no-cache');
  ctx.body = body;
}
