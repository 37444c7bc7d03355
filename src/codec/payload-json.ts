import type { Payload } from '@temporalio/common';

/**
 * A payload in protobuf's JSON form, bytes as base64: what the Temporal Web UI
 * and CLI send to a codec endpoint and expect back.
 */
export interface JsonPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

export function payloadToJson({ metadata, data }: Payload): JsonPayload {
  return {
    metadata: metadata == null ? metadata : mapValues(metadata, (bytes) => Buffer.from(bytes).toString('base64')),
    data: data == null ? data : Buffer.from(data).toString('base64'),
  };
}

export function payloadFromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: metadata == null ? metadata : mapValues(metadata, (text) => Buffer.from(text, 'base64')),
    data: data == null ? data : Buffer.from(data, 'base64'),
  };
}

function mapValues<A, B>(record: Record<string, A>, map: (value: A) => B): Record<string, B> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));
}
