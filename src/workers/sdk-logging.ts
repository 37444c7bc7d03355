import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logger';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Sends the Temporal SDK's own logs (worker state, workflow `log.*` calls
 * with their workflowId) through our JSON logger. Must run before the first
 * connection or worker is created in the process.
 */
export function routeSdkLogs(logger: Logger, level: LogLevel = 'INFO'): void {
  Runtime.install({
    logger: new DefaultLogger(level, ({ level: entryLevel, message, meta }) => {
      logger[LEVELS[entryLevel]]({ ...meta, source: 'temporal-sdk' }, message);
    }),
  });
}
