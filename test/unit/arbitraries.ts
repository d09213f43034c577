/** fast-check generators shared by the core's property tests. */
import fc from 'fast-check';
import { partyRating } from '../../core/party.js';
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

/** A mode that takes parties: rooms of up to 9 players, parties up to teamSize, avg or max. */
export const partyRuleArb: fc.Arbitrary<ModeRule> = ruleArb.chain((rule) =>
  fc
    .record({ maxSize: fc.integer({ min: 1, max: rule.teamSize }), aggregate: fc.constantFrom('avg' as const, 'max' as const) })
    .map((party) => ({ ...rule, party })),
);

/**
 * Tickets of 1 … maxSize players, each party rated as the core rates it (partyRating); unique
 * ids, ratings often tying. Solo tickets carry no members, as the intake builds them.
 */
export function partyTicketsArb(rule: ModeRule, maxLength = 12): fc.Arbitrary<Ticket[]> {
  const maxSize = rule.party?.maxSize ?? rule.teamSize;
  const rating = fc.oneof(fc.integer({ min: 1000, max: 2000 }), fc.double({ min: 1000, max: 2000, noNaN: true }));
  return fc
    .uniqueArray(
      fc.record({
        ticketId: fc.string({ minLength: 1, maxLength: 6 }),
        ratings: fc.array(rating, { minLength: 1, maxLength: maxSize }),
        joinedAt: fc.integer({ min: 0, max: 40_000 }),
      }),
      { maxLength, selector: (t) => t.ticketId },
    )
    .map((ts) =>
      ts.map(({ ticketId, ratings, joinedAt }): Ticket => {
        if (ratings.length === 1) return { ticketId, playerId: `p-${ticketId}`, rating: ratings[0]!, joinedAt };
        const members = ratings.map((r, m) => ({ playerId: `p-${ticketId}-${m}`, rating: r }));
        return {
          ticketId,
          playerId: members[0]!.playerId,
          rating: partyRating(ratings, rule.party?.aggregate ?? 'avg'),
          joinedAt,
          members,
          partyId: `party-${ticketId}`,
        };
      }),
    );
}
