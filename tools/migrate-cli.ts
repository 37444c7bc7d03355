import { loadConfig } from '../src/config';
import { migrate } from './migrate';

migrate(loadConfig(process.env, { needsSecret: false }).DATABASE_URL, console.log).catch((err) => {
  console.error(err);
  process.exit(1);
});
