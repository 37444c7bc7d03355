import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { MISSING_PAYLOAD_KEYS, type Config } from '../config';
import { payloadFromJson, payloadToJson } from './payload-json';

/** The encoding Temporal's samples and tools use for encrypted payloads. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Which key encrypted a payload: decoding finds it, so keys rotate without re-encrypting history. */
export const KEY_ID_METADATA = 'encryption-key-id';

const CIPHER = 'aes-256-gcm';
/** GCM's standard nonce; random per payload, so one key may encrypt 2^32 payloads safely (NIST SP 800-38D). */
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts each payload whole (its metadata too, which names its encoding)
 * with AES-256-GCM under the current key; decrypts with whichever known key
 * the payload names. Payloads that are not encrypted pass through, so
 * histories written before encryption was on still read.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(
    private readonly keys: ReadonlyMap<string, Buffer>,
    private readonly currentKeyId: string,
  ) {
    if (!keys.has(currentKeyId)) throw new Error(`No payload key with id ${currentKeyId}`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decrypt(payload));
  }

  private encrypt(payload: Payload): Payload {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, this.key(this.currentKeyId), iv);
    const plain = Buffer.from(JSON.stringify(payloadToJson(payload)));
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: Buffer.from(this.currentKeyId),
      },
      data: sealed,
    };
  }

  private decrypt(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    if (!encoding || Buffer.from(encoding).toString() !== ENCRYPTED_ENCODING) return payload;
    const keyId = Buffer.from(payload.metadata?.[KEY_ID_METADATA] ?? []).toString();
    const sealed = Buffer.from(payload.data ?? []);
    if (sealed.length < IV_BYTES + TAG_BYTES) throw new ValueError('Encrypted payload is truncated');
    const decipher = createDecipheriv(CIPHER, this.key(keyId), sealed.subarray(0, IV_BYTES));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    // final() throws when the tag does not match: a tampered payload or a key reused under another id.
    const plain = Buffer.concat([
      decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
    return payloadFromJson(JSON.parse(plain.toString()));
  }

  private key(id: string): Buffer {
    const key = this.keys.get(id);
    if (!key) throw new ValueError(`Payload encrypted with unknown key id "${id}": add it to PAYLOAD_KEYS`);
    return key;
  }
}

/** The codec of PAYLOAD_KEYS: every key decrypts, PAYLOAD_KEY_ID (else the first listed) encrypts. */
export function payloadCodec(config: Pick<Config, 'PAYLOAD_KEYS' | 'PAYLOAD_KEY_ID'>): EncryptionCodec {
  const keys = config.PAYLOAD_KEYS;
  if (!keys) throw new Error(`Invalid configuration: PAYLOAD_KEYS: ${MISSING_PAYLOAD_KEYS}`);
  return new EncryptionCodec(new Map(keys.map(({ id, key }) => [id, key])), config.PAYLOAD_KEY_ID ?? keys[0].id);
}
