/** `npm run temporal`: ensure the embedded Temporal dev server runs and say where. */
import { ensureDevServer } from './temporal';

ensureDevServer()
  .then((server) => console.log(`Temporal frontend ${server.address}, Web UI ${server.uiUrl}`))
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
