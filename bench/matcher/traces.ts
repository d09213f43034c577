/**
 * Generated traces for the bench: seeded, so every run measures the same players. Ratings
 * ~N(1500, 300) rounded like real ratings; arrivals Poisson (steady) or with bursts (the
 * same mean rate, a tenth of the time at ten times the rate); some players leave early.
 */
import type { TraceEvent } from '../../core/trace.js';
import { seededRandom } from '../../core/seeded-random.js';

export interface TraceShape {
  name: string;
  seconds: number;
  /** Mean arrivals per second. */
  rate: number;
  bursty: boolean;
  /** Share of tickets that leave after an exponential wait (mean 60 s) unless matched. */
  leaveShare: number;
  seed: number;
}

/** A shape the bench replays as several independent traces, pooled. */
export interface QualityShape extends TraceShape {
  /** Traces of this shape, seeded seed, seed + 1, …, pooled into one set of figures (see QUALITY_TRACES). */
  traces: number;
}

/**
 * Pooled over many seeds: one short sparse trace's median moves between seeds from chance alone
 * (who happens to arrive next to whom) by more than the effects measured; pooled, it holds still.
 * The figures: docs/matching.md, "What the bench shows".
 */
export const QUALITY_TRACES: QualityShape[] = [
  { name: 'steady-sparse', seconds: 7200, rate: 0.5, bursty: false, leaveShare: 0.05, seed: 1000, traces: 64 },
  { name: 'steady-medium', seconds: 3600, rate: 4, bursty: false, leaveShare: 0.05, seed: 2000, traces: 16 },
  { name: 'steady-dense', seconds: 1800, rate: 40, bursty: false, leaveShare: 0.05, seed: 3000, traces: 4 },
  { name: 'bursty-sparse', seconds: 7200, rate: 0.5, bursty: true, leaveShare: 0.05, seed: 4000, traces: 64 },
  { name: 'bursty-medium', seconds: 3600, rate: 4, bursty: true, leaveShare: 0.05, seed: 5000, traces: 16 },
  { name: 'bursty-dense', seconds: 1800, rate: 40, bursty: true, leaveShare: 0.05, seed: 6000, traces: 4 },
];

export function gaussian(rand: () => number, mean: number, sd: number): number {
  return mean + sd * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

export function generateTrace(shape: TraceShape, mode = 'ffa3', region = 'global'): TraceEvent[] {
  const rand = seededRandom(shape.seed);
  const exp = (mean: number) => -mean * Math.log(1 - rand());
  const events: { event: TraceEvent; seq: number }[] = [];
  const end = shape.seconds * 1000;
  // Bursts: the first tenth of every minute runs at ten times the rate of the rest / 10.
  const rateAt = (ms: number) => (!shape.bursty ? shape.rate : ms % 60_000 < 6_000 ? shape.rate * 5.5 : shape.rate * 0.5);
  let at = 0;
  for (let n = 0; ; n++) {
    at += exp(1000 / rateAt(at));
    if (at >= end) break;
    const joinAt = Math.round(at);
    const ticketId = `t${n}`;
    events.push({
      seq: events.length,
      event: { at: joinAt, type: 'join', ticketId, playerId: `p${n}`, rating: Math.round(gaussian(rand, 1500, 300)), mode, region },
    });
    if (rand() < shape.leaveShare) events.push({ seq: events.length, event: { at: joinAt + Math.round(exp(60_000)), type: 'leave', ticketId } });
  }
  return events.sort((a, b) => a.event.at - b.event.at || a.seq - b.seq).map((e) => e.event);
}
