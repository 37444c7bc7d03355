/**
 * Who the simulated buyers are to the API: a token each, and an address
 * each. Real buyers come from many addresses through a proxy (nginx sets
 * X-Forwarded-For, and the API trusts it with TRUST_PROXY); from one host,
 * without this, the per-address rate limit would see one client.
 * Addresses come from 198.18.0.0/15, the range set aside for benchmarks (RFC 2544).
 */
import { signToken } from '../../tools/lib/jwt';

/** Environment for an API we start: it sits behind a proxy, as in docker-compose. */
export const BEHIND_PROXY = { TRUST_PROXY: 'true' };

/** The address of buyer `i`, as a proxy would forward it. */
export function buyerAddress(i: number): string {
  const n = i % 2 ** 17;
  return `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
}

/** One token per user id, signed in chunks so that a hundred thousand take a second or two. */
export async function mintTokens(secret: string | undefined, userIds: string[]): Promise<string[]> {
  const tokens: string[] = [];
  const CHUNK = 1000;
  for (let i = 0; i < userIds.length; i += CHUNK) {
    const chunk = userIds.slice(i, i + CHUNK).map((userId) => signToken(secret, userId, { expiresIn: '2h' }));
    tokens.push(...(await Promise.all(chunk)));
  }
  return tokens;
}
