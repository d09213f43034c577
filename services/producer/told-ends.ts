import type { TicketRef, ToldEnd } from '../../common/ticket-store.js';
import type { PartyEndReason } from './fanout.js';
import type { Outcome } from './ticket-desk.js';

/**
 * How long a gateway keeps the ends it told, to write them back after Redis lost them. An end
 * matters after a loss only while a live copy of its ticket may still come back: its join not
 * yet acked by the matcher (settled at the matcher's next tick, or by its successor after a
 * crash, within seconds), or a party member not yet told (a delivery in flight). Ample for both.
 */
export const TOLD_ENDS_KEPT_MS = 30_000;

/** An end told here: as Redis records it, and, for a party's end decided here, whom else to tell and why. */
export interface KeptEnd extends ToldEnd {
  others?: string[];
  reason?: PartyEndReason;
}

const PARTY_END_REASONS: readonly string[] = ['cancelled', 'party_changed', 'declined'] satisfies PartyEndReason[];

/** The end an outcome told, as Redis records it (the state, and what the state carries). */
function endOf(ref: TicketRef, outcome: Outcome, playerId: string | undefined, partyId: string | undefined): KeptEnd {
  const fields: Record<string, string> = {};
  if (partyId) fields.party = partyId;
  let state: ToldEnd['state'];
  if (outcome.kind === 'matched') {
    state = 'matched';
    fields.room = outcome.room.id;
  } else if (outcome.kind === 'timeout' || outcome.reason === 'timeout') state = 'timeout';
  else if (outcome.reason === 'cancelled' || outcome.reason === 'party_changed') {
    state = 'cancelled';
    // A party's cancel says why (ticket-desk.ts deliverStored reads it); a solo cancel is its player's own.
    if (playerId !== undefined) fields.reason = outcome.reason;
  } else state = outcome.reason;
  const end: KeptEnd = { ref: { ticketId: ref.ticketId, mode: ref.mode, region: ref.region }, state, fields, ...(playerId !== undefined && { playerId }) };
  if (outcome.kind === 'left' && outcome.others && PARTY_END_REASONS.includes(outcome.reason)) {
    end.others = outcome.others;
    end.reason = outcome.reason as PartyEndReason;
  }
  return end;
}

/**
 * The ends this gateway told in the last TOLD_ENDS_KEPT_MS. Redis restarted empty loses every
 * decision it held, and the players who were told one are then its only record: a ticket whose
 * end is lost reads as queued, so a matcher would match it again (a party's `left declined`,
 * then `left accept_timeout`: its outcome split). The gateway writes them back after a reconnect.
 */
export class ToldEnds {
  /** By ticket and member, oldest first (a Map keeps insertion order). */
  private readonly ends = new Map<string, { end: KeptEnd; at: number }>();

  constructor(private readonly clock: () => number) {}

  /** `playerId`: the member told, for a party's ticket (each member is told once); `partyId` its party. */
  record(ref: TicketRef, outcome: Outcome, playerId?: string, partyId?: string): void {
    const now = this.clock();
    this.forgetBefore(now - TOLD_ENDS_KEPT_MS);
    const key = `${ref.ticketId} ${playerId ?? ''}`;
    this.ends.delete(key);
    this.ends.set(key, { end: endOf(ref, outcome, playerId, partyId), at: now });
  }

  /** The ends told within TOLD_ENDS_KEPT_MS, oldest first. */
  recent(): KeptEnd[] {
    this.forgetBefore(this.clock() - TOLD_ENDS_KEPT_MS);
    return [...this.ends.values()].map(({ end }) => end);
  }

  get size(): number {
    return this.ends.size;
  }

  private forgetBefore(horizon: number): void {
    for (const [key, { at }] of this.ends) {
      if (at >= horizon) break;
      this.ends.delete(key);
    }
  }
}
