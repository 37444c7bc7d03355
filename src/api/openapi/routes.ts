import { createReadStream } from 'node:fs';
import path from 'node:path';
import Router from '@koa/router';
import { AppError } from '../../domain/errors';
import { buildOpenApiDocument } from './document';

/** Swagger UI from its npm package, served by us: no CDN, so the docs work offline and behind any firewall. */
const VIEWER_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const VIEWER_FILES = new Set(['swagger-ui.css', 'swagger-ui-bundle.js']);

// A script file rather than an inline one: the Content-Security-Policy header allows only this origin's scripts.
const START_SCRIPT = "SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });\n";

const DOCS_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>PulseCart API</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css" />
    <script defer src="/docs/swagger-ui-bundle.js"></script>
    <script defer src="/docs/start.js"></script>
  </head>
  <body>
    <div id="swagger-ui"></div>
  </body>
</html>
`;

/** `GET /openapi.json`, and `GET /docs`: the same document, readable and tryable in a browser. */
export function openApiRoutes(): Router {
  const document = buildOpenApiDocument();
  const router = new Router();

  router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });

  router.get('/docs', (ctx) => {
    ctx.type = 'html';
    ctx.body = DOCS_PAGE;
  });

  router.get('/docs/:file', (ctx) => {
    const { file } = ctx.params;
    ctx.type = path.extname(file);
    if (file === 'start.js') {
      ctx.body = START_SCRIPT;
      return;
    }
    if (!VIEWER_FILES.has(file)) throw new AppError('NOT_FOUND');
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = createReadStream(path.join(VIEWER_DIR, file));
  });

  return router;
}
