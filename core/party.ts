/**
 * Parties in the rule (contract v1.1, "Parties"): a party queues as one indivisible ticket whose
 * rating is its members' average or highest rating in the mode, rounded, and whose size is its
 * member count. The gateway (for `queued.rating`), the matcher's intake and the replay all
 * rate a party here, so the three agree.
 */
import type { MatchConfig, ModeRule, PartyRule, Ticket } from './types.js';

/** Parties are on (contract v1.1) only when an operator gives some mode a `party` option. */
export function partiesEnabled(config: MatchConfig): boolean {
  return Object.values(config.modes).some((rule) => rule.party !== undefined);
}

/** The mode's party options with their defaults: parties up to teamSize, rated by their average. */
export function partyRule(rule: ModeRule): PartyRule {
  return { maxSize: rule.party?.maxSize ?? rule.teamSize, aggregate: rule.party?.aggregate ?? 'avg' };
}

/** A party's rating from its members' ratings (at least one). */
export function partyRating(ratings: readonly number[], aggregate: PartyRule['aggregate']): number {
  if (ratings.length === 0) throw new RangeError('a party has at least one member');
  if (aggregate === 'max') return Math.round(Math.max(...ratings));
  let sum = 0;
  for (const rating of ratings) sum += rating;
  return Math.round(sum / ratings.length);
}

/** Players on a ticket: its members, or one. */
export function ticketSize(ticket: Ticket): number {
  return ticket.members ? ticket.members.length : 1;
}

/** Throws a RangeError naming the ticket when the mode cannot take it (empty, or over party.maxSize). */
export function checkTicketSize(ticket: Ticket, rule: ModeRule): void {
  const size = ticketSize(ticket);
  const { maxSize } = partyRule(rule);
  if (size < 1 || size > maxSize) throw new RangeError(`ticket ${ticket.ticketId}: ${size} players, this mode takes parties of 1 to ${maxSize}`);
  for (const member of ticket.members ?? []) {
    if (!Number.isFinite(member.rating)) throw new RangeError(`ticket ${ticket.ticketId}: member ratings must be finite numbers`);
  }
}
