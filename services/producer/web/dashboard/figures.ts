// The dashboard's figures as it shows them: labels, medians, the pool chart's series. Pure.
import type { AllocationView, Histogram, RatingFigures, ReadyCheckView, StatsSnapshot } from '../../stats-snapshot.js';

export function formatSeconds(seconds: number): string {
  return seconds < 60 ? `${seconds}s` : `${Math.round(seconds / 60)}m`;
}

/** "0s–5s", …, "2m+": one label per bucket, the last open-ended. */
export function waitLabels(edges: number[]): string[] {
  return edges.map((edge, index) => (index === edges.length - 1 ? `${formatSeconds(edge)}+` : `${formatSeconds(edge)}–${formatSeconds(edges[index + 1]!)}`));
}

export function spreadLabels(edges: number[]): string[] {
  return edges.map((edge, index) => (index === edges.length - 1 ? `${edge}+` : `${edge}–${edges[index + 1]}`));
}

/** Whole minutes back from the one in progress ("now": still filling). */
export function minuteLabels(count: number): string[] {
  return Array.from({ length: count }, (_, index) => (index === count - 1 ? 'now' : `−${count - 1 - index}m`));
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
}

export function ago(ms: number): string {
  if (ms < 1500) return 'just now';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`;
  return `${Math.round(ms / 60_000)} min ago`;
}

export function formatCount(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** Median from a histogram: the label of the bucket holding the middle. */
export function medianBucket(histogram: Histogram, labels: string[]): string {
  const total = histogram.counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return '—';
  let seen = 0;
  for (let index = 0; index < histogram.counts.length; index++) {
    seen += histogram.counts[index]!;
    if (seen >= total / 2) return labels[index] ?? '—';
  }
  return '—';
}

/** "3 in 0s–5s, 1 in 5s–10s", for a chart's text alternative. */
export function describe(labels: string[], counts: number[]): string {
  const parts = labels.flatMap((label, index) => (counts[index] ? [`${counts[index]} in ${label}`] : []));
  return parts.length ? parts.join(', ') : 'none yet';
}

/** A rounded-up maximum with four whole ticks (at least 4). */
export function niceMax(value: number): number {
  if (value <= 4) return 4;
  const step = 10 ** Math.floor(Math.log10(value / 4));
  const tick = [1, 2, 2.5, 5, 10].map((factor) => factor * step).find((candidate) => candidate * 4 >= value) ?? 10 * step;
  return tick * 4;
}

export interface PoolSeries {
  /** Seconds back from now (≤ 0), one per sample, then 0 itself. */
  x: number[];
  /** Per pool, its size at each x; null while no matcher owned it. */
  sizes: { pool: string; values: (number | null)[] }[];
  /** How far back the chart reaches, in seconds (at least a minute). */
  spanS: number;
}

/** The pool chart's data: each pool's size over time, held to "now" from its last sample. */
export function poolSeries(stats: StatsSnapshot): PoolSeries {
  const history = stats.poolHistory;
  const first = history[0]?.at ?? stats.at;
  const spanS = Math.max(60, (stats.at - first) / 1000);
  const x = [...history.map((sample) => (sample.at - stats.at) / 1000), 0];
  const sizes = stats.pools.map(({ pool }) => {
    const values = history.map((sample) => sample.sizes[pool] ?? null);
    return { pool, values: [...values, values.at(-1) ?? null] };
  });
  return { x, sizes, spanS };
}

/** Time ticks back from now: a few, at round steps, "now" included. */
export function timeTicks(spanS: number): number[] {
  const step = spanS > 300 ? 120 : spanS > 120 ? 60 : spanS > 60 ? 30 : 15;
  const ticks: number[] = [];
  for (let back = 0; back <= spanS; back += step) ticks.unshift(back === 0 ? 0 : -back);
  return ticks;
}

export function timeLabel(secondsBack: number): string {
  const back = Math.round(-secondsBack);
  if (back === 0) return 'now';
  return back % 60 === 0 ? `−${back / 60}m` : `−${back}s`;
}

/** The labels to print under `count` bars: every k-th counted from the right, so "now" is always named. */
export function labelledBars(count: number, fits: number): number[] {
  const every = Math.max(1, Math.ceil(count / Math.max(1, fits)));
  return Array.from({ length: count }, (_, index) => index).filter((index) => (count - 1 - index) % every === 0);
}

/** "1+1+1" → "3 solos", "2+1+1" → "2 + 2 solos", "3+2" → "3 + 2": parties by size, then the solos. */
export function makeupLabel(makeup: string): string {
  const sizes = makeup.split('+').map(Number);
  const parties = sizes.filter((size) => size > 1);
  const solos = sizes.length - parties.length;
  const soloText = solos === 0 ? [] : [`${solos} solo${solos === 1 ? '' : 's'}`];
  return [...parties.map(String), ...soloText].join(' + ');
}

/** Rooms per make-up, most common first (ties: larger parties first), as bar labels and counts. */
export function makeupBars(makeups: Record<string, number>): { labels: string[]; counts: number[]; keys: string[] } {
  const entries = Object.entries(makeups)
    .filter(([, count]) => count > 0)
    .sort(([a, countA], [b, countB]) => countB - countA || Number(b.split('+')[0]) - Number(a.split('+')[0]) || a.localeCompare(b));
  return { keys: entries.map(([key]) => key), labels: entries.map(([key]) => makeupLabel(key)), counts: entries.map(([, count]) => count) };
}

/** Share of rooms with at least one party in them, in whole percent; null with no rooms. */
export function partyShare(makeups: Record<string, number>): number | null {
  let rooms = 0;
  let withParty = 0;
  for (const [key, count] of Object.entries(makeups)) {
    rooms += count;
    if (key.split('+').some((size) => Number(size) > 1)) withParty += count;
  }
  return rooms === 0 ? null : Math.round((withParty / rooms) * 100);
}

/** The ready check's lines, one per outcome, per minute ("now" last). */
export const READY_SERIES = [
  { key: 'proposed', label: 'Proposed' },
  { key: 'accepted', label: 'Accepted' },
  { key: 'declined', label: 'Declined' },
  { key: 'timedOut', label: 'Timed out' },
] as const;

export function readyCheckSeries(view: ReadyCheckView): { labels: string[]; series: { key: string; label: string; values: number[]; total: number }[] } {
  return {
    labels: minuteLabels(view.perMinute.length),
    series: READY_SERIES.map(({ key, label }) => ({ key, label, values: view.perMinute.map((bucket) => bucket[key]), total: view.total[key] })),
  };
}

/** Accepted share of the proposals decided in the window, in whole percent; null before any. */
export function acceptRate(view: ReadyCheckView): number | null {
  const { accepted, declined, timedOut, other } = view.total;
  const decided = accepted + declined + timedOut + other;
  return decided === 0 ? null : Math.round((accepted / decided) * 100);
}

const REASONS: Record<string, string> = {
  rejected: 'refused by the fleet (4xx)',
  bad_answer: 'answer without a server',
  tls: 'TLS / certificate',
  budget_spent: 'budget spent (retries ran out)',
  timeout: 'no answer in time',
  unreachable: 'fleet unreachable',
  server_error: 'fleet error (5xx)',
  no_capacity: 'no ready server (429)',
};

/** A failure or retry reason in words; an unknown one as it is. */
export function reasonLabel(reason: string): string {
  return REASONS[reason] ?? reason.replace(/_/g, ' ');
}

/** Counts by reason, largest first. */
export function byReason(counts: Record<string, number>): { reason: string; label: string; count: number }[] {
  return Object.entries(counts)
    .filter(([, count]) => count > 0)
    .sort(([a, countA], [b, countB]) => countB - countA || a.localeCompare(b))
    .map(([reason, count]) => ({ reason, label: reasonLabel(reason), count }));
}

/** Allocation-time bucket labels, short enough for ten bars: "<50ms", then each bucket's low end ("50ms", "1s"), the last "30s+". */
export function latencyLabels(edges: number[]): string[] {
  const format = (seconds: number) => (seconds < 1 ? `${Math.round(seconds * 1000)}ms` : `${seconds}s`);
  return edges.map((edge, index) => (index === 0 ? `<${format(edges[1] ?? edge)}` : index === edges.length - 1 ? `${format(edge)}+` : format(edge)));
}

/** The allocation panel's headline figures. */
export function allocationSummary(view: AllocationView, labels: string[]): { success: string; median: string; retries: number } {
  const done = view.allocated + view.failed;
  return {
    success: done === 0 ? '—' : `${Math.round((view.allocated / done) * 100)}%`,
    median: medianBucket(view.seconds, labels),
    retries: Object.values(view.retries).reduce((sum, count) => sum + count, 0),
  };
}

/** "+12" / "−8" / "±0". */
export function signed(value: number): string {
  return value > 0 ? `+${value}` : value < 0 ? `−${-value}` : '±0';
}

/** The rating distribution to draw: the chosen mode's, else the mode with most rated players. */
export function distributionFor(ratings: RatingFigures | undefined, mode: string | null): RatingFigures['distribution'][number] | undefined {
  const all = ratings?.distribution ?? [];
  return all.find((entry) => entry.mode === mode) ?? [...all].sort((a, b) => b.players - a.players || a.mode.localeCompare(b.mode))[0];
}

/** "1400", "1500", …: a distribution's bucket labels (each bucket's low end). */
export function ratingLabels(edges: number[]): string[] {
  return edges.map(String);
}
