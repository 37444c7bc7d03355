/** `npm run build:web`: the storefront's pages and bundles into WEB_ASSETS_DIR. */
import { loadConfig } from '../src/config';
import { buildWeb } from './web-build';

buildWeb(loadConfig(process.env, { needsSecret: false }).WEB_ASSETS_DIR).catch((err) => {
  console.error(err);
  process.exit(1);
});
