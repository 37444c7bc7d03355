import '../../tools/lib/test-env';
import { ensureEnvironment } from '../../tools/setup';

export default async function globalSetup(): Promise<void> {
  const environment = await ensureEnvironment([process.env.DATABASE_URL as string]);
  process.env.TEMPORAL_ADDRESS = environment.temporalAddress;
}
