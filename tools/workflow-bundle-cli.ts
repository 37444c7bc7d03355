/** The workflow bundle into WORKFLOW_BUNDLE_DIR: the image build runs it from dist/ (`npm start` and the tests: tools/setup.ts). */
import { loadConfig } from '../src/config';
import { writeWorkflowBundle } from '../src/workers/workflow-bundle';

writeWorkflowBundle(loadConfig(process.env, { needsSecret: false }).WORKFLOW_BUNDLE_DIR).then(
  (file) => console.log(`[workflows] bundle ${file}`),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
