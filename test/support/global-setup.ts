import { ensureEnvironment } from '../../tools/setup';

export default async function globalSetup(): Promise<void> {
  const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/pulsecart_test';
  const environment = await ensureEnvironment([url]);
  process.env.TEMPORAL_ADDRESS = environment.temporalAddress;
}
