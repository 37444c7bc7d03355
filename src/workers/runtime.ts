import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logger';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

export interface RuntimeOptions {
  logLevel?: LogLevel;
  /** Where the SDK serves its Prometheus metrics (worker, workflow and activity metrics, ours included). */
  metricsAddress?: string;
}

/**
 * Installs the Temporal SDK runtime of this process: its own logs (worker
 * state, workflow `log.*` with their workflowId) go through our JSON logger,
 * and its metrics to a Prometheus endpoint. Must run before the first
 * connection or worker is created in the process.
 */
export function installRuntime(logger: Logger, { logLevel = 'INFO', metricsAddress }: RuntimeOptions = {}): void {
  Runtime.install({
    logger: new DefaultLogger(logLevel, ({ level, message, meta }) => {
      logger[LEVELS[level]]({ ...meta, source: 'temporal-sdk' }, message);
    }),
    ...(metricsAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress, countersTotalSuffix: true } } } }
      : {}),
  });
}
