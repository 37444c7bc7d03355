import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { payloadCodec } from '../codec/encryption-codec';
import type { Config } from '../config';

export type TemporalConfig = Pick<
  Config,
  'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE' | 'PAYLOAD_KEYS' | 'PAYLOAD_KEY_ID'
>;

/**
 * How PulseCart's payloads go to Temporal: encrypted (src/codec), so that user
 * and order ids are not stored in Temporal's database in the clear. Clients
 * and workers must use the same one; search attributes are not payloads and
 * stay plain for List queries.
 */
export function temporalDataConverter(config: Pick<Config, 'PAYLOAD_KEYS' | 'PAYLOAD_KEY_ID'>): DataConverter {
  return { payloadCodecs: [payloadCodec(config)] };
}

/**
 * A client on grpc-js, for what needs its interceptors: tests that make the
 * connection fail on purpose, or count its calls. The API and the worker use
 * the native connection below.
 */
export async function connectTemporal(
  config: TemporalConfig,
  { interceptors }: Pick<ConnectionOptions, 'interceptors'> = {},
): Promise<Client> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, interceptors });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: temporalDataConverter(config) });
}

/**
 * A client on the SDK's native connection: its gRPC runs in the SDK's Rust
 * core, off the event loop, and it sends the namespace header without
 * entering an AsyncLocalStorage (which, on Node 20, turns on async hooks for
 * every promise of the process). A worker in the same process shares it,
 * which eager workflow start needs. grpc interceptors do not apply to it.
 */
export async function connectNativeTemporal(
  config: TemporalConfig,
): Promise<{ connection: NativeConnection; client: Client }> {
  const connection = await connectWhileStarting(config.TEMPORAL_ADDRESS);
  const client = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: temporalDataConverter(config),
  });
  return { connection, client };
}

/** How long a process waits for a Temporal Service that is still starting (npm start, a restart, a cluster). */
const STARTING_MS = 30_000;

/** The native connection fails at once when the server does not answer yet, where grpc-js waited: retried here. */
async function connectWhileStarting(address: string): Promise<NativeConnection> {
  const deadline = Date.now() + STARTING_MS;
  for (;;) {
    try {
      return await NativeConnection.connect({ address });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
