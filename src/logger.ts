import pino from 'pino';
import type { Config } from './config';

export type Logger = pino.Logger;

/** JSON lines on stdout: one per request and one per workflow step, joined by trackingId. */
export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, name: string): Logger {
  return pino({ name, level: config.LOG_LEVEL, base: { service: name } });
}
