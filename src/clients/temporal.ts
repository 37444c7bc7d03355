import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
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

/** `interceptors` are for tests that make the connection fail on purpose. */
export async function connectTemporal(
  config: TemporalConfig,
  { interceptors }: Pick<ConnectionOptions, 'interceptors'> = {},
): Promise<Client> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, interceptors });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: temporalDataConverter(config) });
}
