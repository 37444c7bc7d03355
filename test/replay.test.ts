/**
 * Histories of real purchases (test/histories, re-recorded by `npm run record-histories`)
 * replayed against today's workflow code: a change that would break the purchases
 * running when it is deployed fails here first. Guard such a change with patched(),
 * as test/versioning.test.ts shows.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { installRuntime } from '../src/workers/runtime';
import { historyFromJSON } from './histories/history-json';
import { HISTORIES } from './histories/names';

const histories = HISTORIES.map((name) => ({
  workflowId: name,
  history: historyFromJSON(readFileSync(path.join(__dirname, 'histories', `${name}.json`), 'utf8')),
}));

describe('replaying recorded purchase histories', () => {
  beforeAll(() => installRuntime(createLogger(loadConfig(), 'test'), { logLevel: 'WARN' }));

  it('when the purchase workflow replays a confirmed, a rejected and a compensated purchase, then every replay is deterministic', async () => {
    const replays = Worker.runReplayHistories({ workflowsPath: require.resolve('../src/workflows') }, histories);
    const failures: Record<string, string> = {};
    const replayed: string[] = [];
    for await (const { workflowId, error } of replays) {
      replayed.push(workflowId);
      if (error) failures[workflowId] = `${error.name}: ${error.message}`;
    }

    expect(failures).toEqual({});
    expect(replayed.sort()).toEqual([...HISTORIES].sort());
  });
});
