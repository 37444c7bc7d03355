/** tools/scale-out.sh from a test: nginx (and what it runs) in a folder of the test's own, on ports it chose. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '..', '..');

export interface ScaleOutPlace {
  /** Its pid files and logs. */
  runDir: string;
  /** Where nginx listens (host:port). */
  listen: string;
  /** API i is expected on apiBasePort + i. */
  apiBasePort: number;
}

/**
 * Runs the script with `args` and resolves when it is done. Not execFileSync: the APIs answer from the test's own
 * process while the script waits for them through nginx.
 */
export function scaleOut(place: ScaleOutPlace, ...args: string[]) {
  return promisify(execFile)('bash', [path.join(ROOT, 'tools/scale-out.sh'), ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      SCALE_OUT_DIR: place.runDir,
      SCALE_OUT_LISTEN: place.listen,
      SCALE_OUT_API_BASE_PORT: String(place.apiBasePort),
    },
  });
}
