/** fast-check generators shared by the core's property tests. */
import fc from 'fast-check';
import type { ModeRule, Ticket } from '../../core/types.js';

export const ruleArb: fc.Arbitrary<ModeRule> = fc
  .record({
    teams: fc.integer({ min: 1, max: 3 }),
    teamSize: fc.integer({ min: 1, max: 3 }),
    window: fc.record({
      initial: fc.integer({ min: 0, max: 100 }),
      perSecond: fc.integer({ min: 0, max: 200 }),
      max: fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 2000 })),
    }),
    maxWaitSeconds: fc.integer({ min: 1, max: 30 }),
  })
  .filter((r) => r.teams * r.teamSize >= 2);

/** Tickets with unique ids; ratings often tie (integers) or not (floats). */
export function ticketsArb(maxLength = 40): fc.Arbitrary<Ticket[]> {
  const rating = fc.oneof(fc.integer({ min: 1000, max: 2000 }), fc.double({ min: 1000, max: 2000, noNaN: true }));
  return fc
    .uniqueArray(fc.record({ ticketId: fc.string({ minLength: 1, maxLength: 6 }), rating, joinedAt: fc.integer({ min: 0, max: 40_000 }) }), {
      maxLength,
      selector: (t) => t.ticketId,
    })
    .map((ts) => ts.map((t) => ({ ...t, playerId: `p-${t.ticketId}` })));
}
