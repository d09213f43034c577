import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { CpuTrace } from './stats.js';

/**
 * Where the CPU went during a run: CPU seconds per process group (our services, the
 * load generator, RabbitMQ, Redis, PostgreSQL) and the peak RSS of each, read from /proc.
 */

const TICKS_PER_SECOND = 100;

function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    // The process has exited since it was listed: no figure for it, which the meter shows as none.
    return null;
  }
}

export function rssBytes(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    // The process has exited: no figure, as for a process never seen.
    return null;
  }
}

function machineTicks(): { busy: number; total: number } {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const numbers = values.map(Number);
  const total = numbers.reduce((a, b) => a + b, 0);
  return { busy: total - numbers[3]! - (numbers[4] ?? 0), total };
}

export function pidsNamed(name: string): number[] {
  try {
    return execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    // pgrep exits 1 when nothing has the name (that service is not on this machine): none to meter.
    return [];
  }
}

export interface ProcessUsage {
  cpuSeconds: number;
  cpuShare: number;
  peakRssMiB: number | null;
}
export interface MachineUsage {
  busyShare: number;
  loadAverage: number[];
  groups: Record<string, ProcessUsage>;
}

export function startMeter(groups: Record<string, () => number[]>, sampleMs = 1000) {
  const startTicks = new Map<number, number>();
  const peak = new Map<string, number>();
  const machineStart = machineTicks();
  const started = Date.now();
  const sample = () => {
    for (const [group, pids] of Object.entries(groups)) {
      let rss = 0;
      for (const pid of pids()) {
        if (!startTicks.has(pid)) startTicks.set(pid, cpuTicks(pid) ?? 0);
        rss += rssBytes(pid) ?? 0;
      }
      peak.set(group, Math.max(peak.get(group) ?? 0, rss));
    }
  };
  const finish = sampleEvery(sampleMs, sample);
  return {
    stop(): MachineUsage {
      finish();
      const elapsedS = (Date.now() - started) / 1000;
      const machineEnd = machineTicks();
      const result: Record<string, ProcessUsage> = {};
      for (const [group, pids] of Object.entries(groups)) {
        let ticks = 0;
        for (const pid of pids()) ticks += (cpuTicks(pid) ?? 0) - (startTicks.get(pid) ?? 0);
        const cpuSeconds = ticks / TICKS_PER_SECOND;
        result[group] = {
          // To the tick (10 ms): the cost per matched player divides it by thousands.
          cpuSeconds: Math.round(cpuSeconds * 100) / 100,
          cpuShare: Math.round((cpuSeconds / elapsedS) * 100) / 100,
          peakRssMiB: Math.round((peak.get(group) ?? 0) / 1048576),
        };
      }
      const busy = (machineEnd.busy - machineStart.busy) / Math.max(1, machineEnd.total - machineStart.total);
      return { busyShare: Math.round(busy * 100) / 100, loadAverage: loadavg().map((v) => Math.round(v * 100) / 100), groups: result };
    },
  };
}

/**
 * Samples each group's CPU every `everyMs` (ms used in all since the trace began, from /proc
 * ticks of 10 ms), for `cpuByTickPhase` (stats.ts): a tick's burst is tens of ms, so the
 * once-a-second meter above cannot show who works in it. The groups' processes are read once,
 * at the start (a load run starts no process midway); each sample costs the generator about
 * 10 µs a process, which is why the trace is an option of the run.
 */
export function startCpuTrace(groups: Record<string, () => number[]>, everyMs = 10) {
  const pids = Object.fromEntries(Object.entries(groups).map(([group, list]) => [group, list()]));
  const trace: CpuTrace = { at: [], cpuMs: Object.fromEntries(Object.keys(pids).map((group) => [group, []])) };
  const base = new Map<number, number>();
  const sample = () => {
    trace.at.push(Date.now());
    for (const [group, list] of Object.entries(pids)) {
      let used = 0;
      for (const pid of list) {
        const ticks = cpuTicks(pid);
        if (ticks === null) continue;
        if (!base.has(pid)) base.set(pid, ticks);
        used += ticks - base.get(pid)!;
      }
      trace.cpuMs[group]!.push((used * 1000) / TICKS_PER_SECOND);
    }
  };
  const finish = sampleEvery(everyMs, sample);
  return {
    stop(): CpuTrace {
      finish();
      return trace;
    },
  };
}

/** Calls `sample` now and every `everyMs`; the function returned stops that and samples once more. */
function sampleEvery(everyMs: number, sample: () => void): () => void {
  sample();
  const timer = setInterval(sample, everyMs);
  return () => {
    clearInterval(timer);
    sample();
  };
}
