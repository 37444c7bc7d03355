/**
 * `npm run token -- <userId> [admin]`: prints a JWT signed with JWT_SECRET,
 * valid for a day, for trying the API with curl.
 */
import { SignJWT } from 'jose';
import { loadConfig } from '../src/config';

async function main(): Promise<void> {
  const [userId = 'buyer-1', role] = process.argv.slice(2);
  const secret = new TextEncoder().encode(loadConfig().JWT_SECRET);
  const token = await new SignJWT({ roles: role === 'admin' ? ['admin'] : [] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime('1d')
    .sign(secret);
  console.log(token);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
