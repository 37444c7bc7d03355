import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';

const WORKFLOWS = require.resolve('../workflows');

/** The bundler reports each build at info level; the workers say when they start. */
const quietBundler = new DefaultLogger('WARN');

/**
 * A bundle is named by what goes into it: the workflow sources (they import
 * nothing else but types, see eslint.config.js) and the SDK version that
 * runs them. A changed workflow gets a new name, never an old bundle.
 */
function bundleFile(dir: string): string {
  const sources = path.dirname(WORKFLOWS);
  const hash = createHash('sha256').update(require('@temporalio/workflow/package.json').version);
  for (const name of readdirSync(sources).sort()) {
    const file = path.join(sources, name);
    if (statSync(file).isFile()) hash.update(name).update(readFileSync(file));
  }
  return path.resolve(dir, `workflows-${hash.digest('hex').slice(0, 16)}.js`);
}

/**
 * Bundles the workflows into `dir` once (the set-up and the image build do):
 * webpack takes seconds and leaves ~100 MiB in the resident memory of the
 * process that runs it, which the workers and the API then do not pay.
 */
export async function writeWorkflowBundle(dir: string): Promise<string> {
  const file = bundleFile(dir);
  if (existsSync(file)) return file;
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS, logger: quietBundler });
  mkdirSync(dir, { recursive: true });
  // Written aside and renamed: a process starting meanwhile never reads half a bundle.
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, code);
  renameSync(partial, file);
  return file;
}

/** The bundle the set-up made for these very sources, else one made now, in this process. */
export async function workflowBundle(dir: string): Promise<NonNullable<WorkerOptions['workflowBundle']>> {
  const file = bundleFile(dir);
  if (existsSync(file)) return { codePath: file };
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS, logger: quietBundler });
}
