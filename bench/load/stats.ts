/** Percentiles and per-second series for the load report (pure). */

export interface Percentiles {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export function percentiles(values: ArrayLike<number>): Percentiles {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => (sorted.length === 0 ? null : round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!));
  return { count: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.length ? round(sorted[sorted.length - 1]!) : null };
}

/** Percentiles of the samples `ms[i]` whose join was sent at `at[i]` ≥ `fromS` seconds into the run. */
export function percentilesFrom(at: ArrayLike<number>, ms: ArrayLike<number>, fromS: number): Percentiles {
  const kept: number[] = [];
  for (let index = 0; index < ms.length; index++) if (at[index]! >= fromS) kept.push(ms[index]!);
  return percentiles(kept);
}

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** A growable array of numbers without boxing. */
export class NumberSeries {
  private data = new Float64Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

export interface SecondPoint {
  t: number;
  joins: number;
  matched: number;
  queuedP50: number | null;
  queuedP99: number | null;
  matchedP50: number | null;
  matchedP99: number | null;
}

/** Samples (time in s since start, latency ms) grouped into one point per second. */
export function perSecond(
  joins: Float64Array,
  queued: { at: Float64Array; ms: Float64Array },
  matched: { at: Float64Array; ms: Float64Array },
  seconds: number,
): SecondPoint[] {
  const buckets = Array.from({ length: seconds }, () => ({ joins: 0, queued: [] as number[], matched: [] as number[] }));
  const slot = (t: number) => buckets[Math.min(seconds - 1, Math.max(0, Math.floor(t)))]!;
  for (const t of joins) slot(t).joins += 1;
  queued.at.forEach((t, index) => slot(t).queued.push(queued.ms[index]!));
  matched.at.forEach((t, index) => slot(t).matched.push(matched.ms[index]!));
  return buckets.map((bucket, t) => {
    const q = percentiles(bucket.queued);
    const m = percentiles(bucket.matched);
    return { t, joins: bucket.joins, matched: bucket.matched.length, queuedP50: q.p50, queuedP99: q.p99, matchedP50: m.p50, matchedP99: m.p99 };
  });
}

/** Ms from the latest tick at or before `at` (`ticks` sorted ascending; a binary search), or null before the first. */
export function phaseAfterTick(at: number, ticks: readonly number[]): number | null {
  let low = 0;
  let high = ticks.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (ticks[middle]! <= at) low = middle + 1;
    else high = middle;
  }
  return low === 0 ? null : at - ticks[low - 1]!;
}

export interface PhasePoint {
  /** Start of the bin, ms after the tick before the join was sent. */
  fromMs: number;
  count: number;
  p50: number | null;
  p99: number | null;
}

/**
 * Latencies grouped by when their join was sent within the tick: `sentAt[i]` (wall-clock ms)
 * minus the latest tick at or before it (`ticks`: the rooms' createdAt, sorted ascending), in
 * bins of `binMs`. A join sent before the first tick is left out, and so is one sent a tick or
 * more after the latest tick before it (no room was formed at a tick in between), in bins from
 * `maxMs` on. Shows the tick's burst: the joins that land in it wait longer.
 */
export function byTickPhase(sentAt: ArrayLike<number>, ms: ArrayLike<number>, ticks: readonly number[], binMs: number, maxMs: number): PhasePoint[] {
  const bins = Array.from({ length: Math.ceil(maxMs / binMs) }, () => [] as number[]);
  for (let index = 0; index < ms.length; index++) {
    const phase = phaseAfterTick(sentAt[index]!, ticks);
    if (phase !== null && phase < maxMs) bins[Math.floor(phase / binMs)]!.push(ms[index]!);
  }
  return bins.map((values, index) => {
    const { count, p50, p99 } = percentiles(values);
    return { fromMs: index * binMs, count, p50, p99 };
  });
}

/** The ticks' period: the median gap between consecutive ticks (sorted ascending), or null with fewer than two. */
export function tickPeriod(ticks: readonly number[]): number | null {
  if (ticks.length < 2) return null;
  const gaps = ticks
    .slice(1)
    .map((tick, index) => tick - ticks[index]!)
    .sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)]!;
}

/** CPU of each process group sampled over time: at `at[i]` (wall-clock ms) group g had used `cpuMs[g][i]` ms in all. */
export interface CpuTrace {
  at: number[];
  cpuMs: Record<string, number[]>;
}

export interface CpuPhasePoint {
  /** Start of the bin, ms after the tick. */
  fromMs: number;
  /** Cores each group used on average while in this bin of the tick. */
  cores: Record<string, number>;
}

/**
 * The CPU each group used by phase of the tick: each interval between two samples counts in
 * the bin of its start's time after the latest tick at or before it (`ticks` sorted ascending),
 * bins of period / `bins`. Intervals before the first tick or a period or more after the latest
 * tick are left out. Shows which process works in the tick's burst.
 */
export function cpuByTickPhase(trace: CpuTrace, ticks: readonly number[], period: number, bins = 10): CpuPhasePoint[] {
  const binMs = period / bins;
  const groups = Object.keys(trace.cpuMs);
  const spent = Array.from({ length: bins }, () => Object.fromEntries(groups.map((group) => [group, 0])) as Record<string, number>);
  const lasted = new Array<number>(bins).fill(0);
  for (let index = 0; index + 1 < trace.at.length; index++) {
    const start = trace.at[index]!;
    const phase = phaseAfterTick(start, ticks);
    if (phase === null || phase >= period) continue;
    const bin = Math.floor(phase / binMs);
    lasted[bin]! += trace.at[index + 1]! - start;
    for (const group of groups) spent[bin]![group]! += trace.cpuMs[group]![index + 1]! - trace.cpuMs[group]![index]!;
  }
  return spent.map((byGroup, bin) => ({
    fromMs: round(bin * binMs, 0),
    cores: Object.fromEntries(groups.map((group) => [group, lasted[bin]! > 0 ? round(byGroup[group]! / lasted[bin]!, 2) : 0])),
  }));
}
