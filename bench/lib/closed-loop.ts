/**
 * Closed-loop HTTP load: each connection sends its next request as soon as
 * the previous one is answered, for a fixed time. Measures what a server
 * sustains, with the client's and the server's CPU, so that a reader can see
 * which of the two was the bottleneck.
 */
import type { CallOptions, JsonClient } from '../../tools/lib/http';
import { cpuSeconds } from './proc';
import { summarize, type LatencySummary } from './stats';

export interface LoopResult {
  seconds: number;
  requests: number;
  perSecond: number;
  latency: LatencySummary;
  /** Answers with another status than expected. */
  unexpected: number;
  /** Cores used during the loop (1 = one core busy). */
  clientCores: number;
  serverCores: number;
}

export interface LoopSpec {
  client: JsonClient;
  method: string;
  path: string;
  /** The next request's token, body and headers (a crowd rotates buyers). */
  nextCall(): CallOptions;
  expectStatus: number;
  connections: number;
  seconds: number;
  serverPid: number;
}

/** Runs the loop; every latency is also pushed onto `latencies`, so rounds can be pooled. */
export async function closedLoop(spec: LoopSpec, latencies: number[] = []): Promise<LoopResult> {
  const own: number[] = [];
  let unexpected = 0;
  const clientBefore = process.cpuUsage();
  const serverBefore = cpuSeconds(spec.serverPid);
  const startedAt = performance.now();
  const deadline = startedAt + spec.seconds * 1000;
  const lane = async () => {
    while (performance.now() < deadline) {
      const reply = await spec.client.call(spec.method, spec.path, spec.nextCall());
      own.push(reply.ms);
      latencies.push(reply.ms);
      if (reply.status !== spec.expectStatus) unexpected += 1;
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, lane));
  const elapsedS = (performance.now() - startedAt) / 1000;
  const client = process.cpuUsage(clientBefore);
  return {
    seconds: elapsedS,
    requests: own.length,
    perSecond: own.length / elapsedS,
    latency: summarize(own),
    unexpected,
    clientCores: (client.user + client.system) / 1e6 / elapsedS,
    serverCores: (cpuSeconds(spec.serverPid) - serverBefore) / elapsedS,
  };
}
