/**
 * What auto-setup does for compose's Temporal Service, for the one
 * `npm run cluster` runs (tools/cluster.sh): once its frontend answers,
 * registers the namespace and PulseCart's Keyword search attributes, and
 * waits until both can be used. Safe to run again.
 *
 *   node --import tsx tools/cluster-temporal.ts <host:port> [namespace]
 */
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { SEARCH_ATTRIBUTES, waitForFrontend } from './temporal';
import { sleep } from './lib/wait';

/** temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD (@temporalio/proto is not ours to import). */
const KEYWORD = 2;
const ALREADY_EXISTS = 6;
/** How long finished workflows stay visible, as the dev server keeps them. */
const RETENTION = '3 days';
const STARTUP_TIMEOUT_MS = 120_000;

function log(message: string): void {
  console.log(`[cluster] ${message}`);
}

async function connectWhenServing(address: string): Promise<Connection> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 2000 });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (err) {
      await connection?.close();
      if (Date.now() > deadline) {
        throw new Error(`Temporal at ${address} did not serve within ${STARTUP_TIMEOUT_MS} ms`, { cause: err });
      }
      await sleep(1000);
    }
  }
}

async function registerNamespace(connection: Connection, namespace: string): Promise<void> {
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs(RETENTION),
    });
    log(`namespace ${namespace} registered`);
  } catch (err) {
    if ((err as { code?: number }).code !== ALREADY_EXISTS) throw err;
  }
}

async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const listed = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTES.filter((name) => !(name in listed.customAttributes));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])),
  });
  log(`search attributes ${missing.join(', ')} registered (Keyword)`);
}

async function run(): Promise<void> {
  const [address, namespace = 'default'] = process.argv.slice(2);
  if (!address) throw new Error('usage: cluster-temporal.ts <host:port> [namespace]');
  const connection = await connectWhenServing(address);
  try {
    await registerNamespace(connection, namespace);
    // A new namespace reaches the frontend's cache within its refresh interval (about ten seconds).
    await waitForFrontend(address, STARTUP_TIMEOUT_MS, namespace);
    await registerSearchAttributes(connection, namespace);
  } finally {
    await connection.close();
  }
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
