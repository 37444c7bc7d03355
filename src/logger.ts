import pino from 'pino';
import type { Config } from './config';

export type Logger = pino.Logger;

/**
 * JSON lines on stdout: one per request and one per workflow step, joined by trackingId. An Error under `err`
 * (ours) or `error` (the Temporal SDK's: a failed activity, a failed workflow task) is written with its type,
 * message and stack; pino knows only `err`, and writes any other Error as {}.
 */
export function createLogger(
  config: Pick<Config, 'LOG_LEVEL'>,
  name: string,
  /** Where the lines go; stdout when absent (tests read them from a stream). */
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    name,
    level: config.LOG_LEVEL,
    base: { service: name },
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
  };
  return destination ? pino(options, destination) : pino(options);
}
