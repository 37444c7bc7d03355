/** Waiting: a pause, and polling until a process we started is ready. */
import type { ChildProcess } from 'node:child_process';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `ready` until it is true; fails early if one of the processes exits. */
export async function waitUntil(
  what: string,
  ready: () => Promise<boolean>,
  processes: ChildProcess[],
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const exited = processes.find((p) => p.exitCode !== null);
    if (exited) throw new Error(`${exited.spawnargs.at(-1)} exited with ${exited.exitCode} (see its log)`);
    if (await ready().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms`);
}

/** A readiness check for waitUntil: the URL answers, with anything but a server error. */
export const answers = (url: string) => () => fetch(url).then((res) => res.status < 500);
