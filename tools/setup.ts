/**
 * Everything a fresh machine needs before PulseCart runs: PostgreSQL, Redis
 * and RabbitMQ (tools/services.sh), a Temporal Service (the embedded dev
 * server unless TEMPORAL_ADDRESS is set), the keys its payloads are encrypted
 * with, the database migrations and the storefront's web build.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { DATA_FOLDER_PAYLOAD_KEYS, useDataFolderPayloadKeys } from './payload-keys';
import { ensureDevServer } from './temporal';
import { migrate } from './migrate';
import { buildWeb } from './web-build';
import { writeWorkflowBundle } from '../src/workers/workflow-bundle';

export interface Environment {
  temporalAddress: string;
  temporalUiUrl: string;
}

export function ensureServices(): void {
  const script = path.resolve(__dirname, 'services.sh');
  const result = spawnSync('bash', [script], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('tools/services.sh failed (see above)');
}

export async function ensureTemporal(): Promise<Environment> {
  if (process.env.TEMPORAL_ADDRESS) {
    return { temporalAddress: process.env.TEMPORAL_ADDRESS, temporalUiUrl: process.env.TEMPORAL_UI_URL ?? '' };
  }
  const server = await ensureDevServer();
  return { temporalAddress: server.address, temporalUiUrl: server.uiUrl };
}

/** Unset PAYLOAD_KEYS: the data folder's, for this process and those it starts. Says where, never what. */
export function ensurePayloadKeys(): void {
  const keys = useDataFolderPayloadKeys();
  if (!keys) return;
  const made = keys.created ? 'a new random key' : 'the keys made by an earlier set-up';
  console.log(
    `[setup] PAYLOAD_KEYS is not set: Temporal payloads are encrypted with ${made}, kept in ${DATA_FOLDER_PAYLOAD_KEYS}`,
  );
}

export async function ensureEnvironment(databaseUrls: string[]): Promise<Environment> {
  ensureServices();
  const environment = await ensureTemporal();
  ensurePayloadKeys();
  for (const url of databaseUrls) await migrate(url);
  const config = loadConfig(process.env, { needsSecret: false });
  await buildWeb(config.WEB_ASSETS_DIR);
  await writeWorkflowBundle(config.WORKFLOW_BUNDLE_DIR);
  return environment;
}
