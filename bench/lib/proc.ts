/**
 * What the processes of this machine cost, read from /proc: CPU time per
 * group of processes (to say where a bottleneck is) and resident memory.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined; // the process ended between listing and reading
  }
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return 0;
  // Fields after the command name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** A `Vm*` line of /proc/<pid>/status in MiB: VmRSS now, VmHWM the peak. */
export function memoryMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = read(`/proc/${pid}/status`)?.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** VmHWM of each named process: the most memory it ever had resident. */
export function peakRssMiB(pids: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, memoryMiB(pid, 'VmHWM')]));
}

/** Busy and total CPU seconds of the whole machine, from the first line of /proc/stat. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const ticks = (read('/proc/stat') ?? '').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = ticks[3] + ticks[4];
  const total = ticks.reduce((sum, t) => sum + t, 0);
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

export interface ProcessInfo {
  pid: number;
  comm: string;
  cmdline: string;
}

export function listProcesses(): ProcessInfo[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => ({
      pid: Number(name),
      comm: (read(`/proc/${name}/comm`) ?? '').trim(),
      cmdline: (read(`/proc/${name}/cmdline`) ?? '').replace(/\0/g, ' ').trim(),
    }));
}

/** Which group a process belongs to, or undefined to count it as "other". */
export type Classifier = (process: ProcessInfo) => string | undefined;

/** The shared services, by process name. */
export const serviceGroups: Classifier = ({ comm, cmdline }) => {
  if (comm === 'postgres') return 'postgres';
  if (comm === 'redis-server') return 'redis';
  if (comm === 'beam.smp') return 'rabbitmq';
  if (comm === 'temporal' || cmdline.includes('temporal server start-dev')) return 'temporal';
  return undefined;
};

const MIN_SAMPLE_SECONDS = 0.5;

export interface CpuSample {
  /** Seconds since the sampler started. */
  t: number;
  /** CPU use per group in the last interval, in cores (1 = one core fully busy). */
  cores: Record<string, number>;
}

/**
 * Samples CPU per group once per interval. `pids` pins named processes (ours);
 * everything else goes through the classifier, and the remainder of the
 * machine's busy time is "other" (other engineers' work on a shared machine).
 */
export class CpuSampler {
  readonly samples: CpuSample[] = [];
  /** CPU seconds used per group since the sampler started. */
  readonly totals: Record<string, number> = {};
  private readonly startedAt = performance.now();
  private last: ReturnType<CpuSampler['snapshot']>;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pids: Record<string, number>,
    private readonly classify: Classifier = serviceGroups,
    intervalMs = 1000,
  ) {
    this.last = this.snapshot();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Stops sampling; returns each group's average use over the sampler's life, in cores. */
  stop(): Record<string, number> {
    clearInterval(this.timer);
    this.sample();
    const seconds = (this.last.at - this.startedAt) / 1000;
    return Object.fromEntries(Object.entries(this.totals).map(([group, s]) => [group, s / seconds]));
  }

  private snapshot(): { at: number; machine: number; byPid: Map<number, { group: string; cpu: number }> } {
    const pinned = new Map(Object.entries(this.pids).map(([group, pid]) => [pid, group]));
    const byPid = new Map<number, { group: string; cpu: number }>();
    for (const proc of listProcesses()) {
      const group = pinned.get(proc.pid) ?? this.classify(proc);
      if (group) byPid.set(proc.pid, { group, cpu: cpuSeconds(proc.pid) });
    }
    return { at: performance.now(), machine: machineCpuSeconds().busy, byPid };
  }

  private sample(): void {
    const now = this.snapshot();
    const seconds = (now.at - this.last.at) / 1000;
    if (seconds <= 0) return;
    const used: Record<string, number> = {};
    for (const [pid, { group, cpu }] of now.byPid) {
      // A process born during the interval counts from zero.
      used[group] = (used[group] ?? 0) + cpu - (this.last.byPid.get(pid)?.cpu ?? 0);
    }
    const known = Object.values(used).reduce((sum, s) => sum + s, 0);
    used.other = Math.max(0, now.machine - this.last.machine - known);
    for (const [group, s] of Object.entries(used)) this.totals[group] = (this.totals[group] ?? 0) + Math.max(0, s);
    const cores = Object.fromEntries(Object.entries(used).map(([group, s]) => [group, Math.max(0, s) / seconds]));
    // The last, short interval at stop counts in the totals but would only add noise to the series.
    if (seconds >= MIN_SAMPLE_SECONDS) this.samples.push({ t: (now.at - this.startedAt) / 1000, cores });
    this.last = now;
  }
}
