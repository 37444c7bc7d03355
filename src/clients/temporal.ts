import { Client, Connection, type ConnectionOptions, type Metadata } from '@temporalio/client';
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

const NAMESPACE_HEADER = 'temporal-namespace';

/**
 * A connection that never leaves its AsyncLocalStorage enabled. On Node 20 an
 * enabled AsyncLocalStorage turns on async hooks for every promise of the
 * process (three more properties each, and hook calls): the API's CPU and
 * memory per request roughly doubled. The SDK enters it to connect (a deadline)
 * and on every call, only to add the namespace header; this connection sends
 * that header with every call instead, and PulseCart sets no per-call deadline,
 * metadata or abort signal (withDeadline and its kin would enable it again).
 */
class TemporalConnection extends Connection {
  override async withMetadata<R>(metadata: Metadata, fn: () => Promise<R>): Promise<R> {
    const keys = Object.keys(metadata);
    const sentAlready = keys.length === 1 && metadata[NAMESPACE_HEADER] === this.options.metadata[NAMESPACE_HEADER];
    return sentAlready ? fn() : super.withMetadata(metadata, fn);
  }
}

/** `interceptors` are for tests that make the connection fail on purpose. */
export async function connectTemporal(
  config: TemporalConfig,
  { interceptors }: Pick<ConnectionOptions, 'interceptors'> = {},
): Promise<Client> {
  const connection = await TemporalConnection.connect({
    address: config.TEMPORAL_ADDRESS,
    interceptors,
    metadata: { [NAMESPACE_HEADER]: config.TEMPORAL_NAMESPACE },
  });
  connection.callContextStorage.disable();
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: temporalDataConverter(config) });
}

/**
 * A client on the SDK's native connection, which a worker in the same process
 * shares: what eager workflow start needs (the server hands the first workflow
 * task of a start back to that worker). grpc interceptors do not apply to it.
 */
export async function connectNativeTemporal(
  config: TemporalConfig,
): Promise<{ connection: NativeConnection; client: Client }> {
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: temporalDataConverter(config),
  });
  return { connection, client };
}
