import { Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { createLogger } from '../src/logger';

/** The JSON lines a logger wrote, parsed. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(
        ...chunk
          .toString()
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line)),
      );
      done();
    },
  });
  return { lines, logger: createLogger({ LOG_LEVEL: 'info' }, 'test', stream) };
}

describe('the JSON logger', () => {
  test('when the Temporal SDK logs a failure under `error` (a failed activity), then its type and message are written, not {}', () => {
    const { lines, logger } = capture();
    const failure = ApplicationFailure.retryable('Redis is out of reach', 'STOCK_UNAVAILABLE');

    logger.warn({ error: failure, activityType: 'reconcileProduct', source: 'temporal-sdk' }, 'Activity failed');

    expect(lines).toHaveLength(1);
    expect(lines[0].error).toMatchObject({ type: 'ApplicationFailure', message: 'Redis is out of reach' });
    expect(String((lines[0].error as { stack: string }).stack)).toContain('Redis is out of reach');
  });

  test('when our code logs an Error under `err`, then it is written with its message as before', () => {
    const { lines, logger } = capture();

    logger.error({ err: new TypeError('bad input') }, 'request failed');

    expect(lines[0].err).toMatchObject({ type: 'TypeError', message: 'bad input' });
  });
});
