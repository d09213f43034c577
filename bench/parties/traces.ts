/**
 * Generated traces with parties: arrivals as in bench/matcher/traces.ts (seeded Poisson, steady
 * or bursty, some leaving early), each arrival a party whose size is drawn from a mix. A party's
 * members are friends of roughly one level: the party's centre ~N(1500, 300), each member
 * within ~N(0, 100) of it.
 */
import type { TraceEvent } from '../../core/trace.js';
import { seededRandom } from '../../core/seeded-random.js';
import { gaussian, type TraceShape } from '../matcher/traces.js';

/** Share of arrivals per party size (index = size, 0 unused); sums to 1. */
export type PartyMix = number[];

export function generatePartyTrace(shape: TraceShape, mix: PartyMix, mode: string, region = 'global'): TraceEvent[] {
  const rand = seededRandom(shape.seed);
  const exp = (mean: number) => -mean * Math.log(1 - rand());
  const events: { event: TraceEvent; seq: number }[] = [];
  const end = shape.seconds * 1000;
  const rateAt = (ms: number) => (!shape.bursty ? shape.rate : ms % 60_000 < 6_000 ? shape.rate * 5.5 : shape.rate * 0.5);
  const sizeOf = () => {
    let u = rand();
    for (let size = 1; size < mix.length; size++) if ((u -= mix[size]!) < 0) return size;
    return 1;
  };
  let at = 0;
  for (let n = 0; ; n++) {
    at += exp(1000 / rateAt(at));
    if (at >= end) break;
    const joinAt = Math.round(at);
    const ticketId = `t${n}`;
    const size = sizeOf();
    const centre = gaussian(rand, 1500, 300);
    const event: TraceEvent =
      size === 1
        ? { at: joinAt, type: 'join', ticketId, playerId: `p${n}`, rating: Math.round(centre), mode, region }
        : {
            at: joinAt,
            type: 'join',
            ticketId,
            players: Array.from({ length: size }, (_, m) => ({ playerId: `p${n}-${m}`, rating: Math.round(gaussian(rand, centre, 100)) })),
            mode,
            region,
          };
    events.push({ seq: events.length, event });
    if (rand() < shape.leaveShare) events.push({ seq: events.length, event: { at: joinAt + Math.round(exp(60_000)), type: 'leave', ticketId } });
  }
  return events.sort((a, b) => a.event.at - b.event.at || a.seq - b.seq).map((e) => e.event);
}
