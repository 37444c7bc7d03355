/**
 * `npm run token -- <userId> [admin]`: prints a JWT signed with JWT_SECRET
 * (unset: the secret `npm start` keeps in .data/), valid for a day, for
 * trying the API with curl.
 */
import { loadConfig } from '../src/config';
import { signToken } from './lib/jwt';
import { useDataFolderSecret } from './signing-secret';

async function main(): Promise<void> {
  const [userId = 'buyer-1', role] = process.argv.slice(2);
  useDataFolderSecret();
  console.log(
    await signToken(loadConfig().JWT_SECRET, userId, { roles: role === 'admin' ? ['admin'] : [], expiresIn: '1d' }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
