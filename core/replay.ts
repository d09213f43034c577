/**
 * Replays a trace through pools on a virtual clock (contract, "Replay"): a tick every tickMs,
 * the first at tickMs; a tick sees the events with `at` ≤ its time. After the last event it
 * keeps ticking until every pool is empty, so every ticket ends. Pure: the same events and
 * options give the same outputs, which is what makes replay a regression test.
 * The pool factory is a parameter so the baseline runs through the same harness.
 * Contract v1.1: a join with `players` is a party ticket, rated by the mode's party.aggregate;
 * room lines of a mode with more than one team add `teams`, each team's ticket ids.
 */
import { partyRating, partyRule, ticketSize } from './party.js';
import { createPool, type Pool } from './pool.js';
import { answersOf, proposalSeats, seatsOf, type Answer, type Behaviour } from './replay-answers.js';
import type { Learning, LearningSeat, ResultLine } from './replay-learning.js';
import { seededRandom } from './seeded-random.js';
import { fail } from './room-allocation.js';
import { dissolve as dissolveRoom, finalRoom, propose, step, type DissolveReason, type RoomLife } from './room-lifecycle.js';
import { poolKey } from './rule.js';
import type { TraceEvent, TraceJoin } from './trace.js';
import type { MatchConfig, ModeRule, Ticket } from './types.js';

type RoomLine = { type: 'room'; at: number; mode: string; region: string; tickets: string[]; spread: number; teams?: string[][] };

export type ReplayOutput =
  | RoomLine
  | { type: 'timeout'; at: number; ticketId: string }
  /** Contract v1.1: a proposed room that fell through, or (this project's) a final room whose allocation failed. */
  | { type: 'dissolved'; at: number; tickets: string[]; reason: DissolveReason }
  | { type: 'left'; at: number; ticketId: string; reason: DissolveReason }
  /**
   * A join during its player's accept.cooldownSeconds: refused as the gateway refuses it (`cooling_down`), no ticket;
   * with learning, a join of a player who still holds a live ticket (`already_queued`).
   */
  | { type: 'refused'; at: number; ticketId: string; reason: 'cooling_down' | 'already_queued' }
  /** With learning: the result of a final room, played from its players' true skills. */
  | ResultLine;

export interface ReplayOptions {
  config: MatchConfig;
  tickMs: number;
  createPool?: (rule: ModeRule) => Pool;
  /** Ready check (modes with accept): every player without a decline / silent line answers this long after the proposal; default 1000. */
  acceptMs?: number;
  /** This share (0-1) of final rooms fails allocation, drawn from a PRNG seeded with `seed`; absent: every room is allocated. */
  allocationFail?: { share: number; seed: number };
  /**
   * Replay with learning (core/replay-learning.ts): every final room is played and its result
   * rated, joins use their players' current ratings, and a player holds one live ticket at a time.
   */
  learning?: Learning;
}

/** How each ticket ended, for figures and reports. */
export interface TicketEnd {
  rating: number;
  /** Players on the ticket: 1, or a party's size. */
  size: number;
  waitedMs: number;
  outcome: 'matched' | 'timeout' | 'cancelled' | DissolveReason;
}

export interface ReplayResult {
  outputs: ReplayOutput[];
  ends: TicketEnd[];
  spreads: number[];
  /** Team imbalance of each room of a mode with more than one team. */
  imbalances: number[];
  /** Rooms that fell through, by why: proposals (declined, accept_timeout) and failed allocations. */
  dissolutions: Record<DissolveReason, number>;
}

interface PoolSlot {
  mode: string;
  region: string;
  rule: ModeRule;
  pool: Pool;
  /** Proposed rooms waiting for their answers, in the order they were proposed. */
  proposals: Proposal[];
}

/** A proposed room: its lifecycle (core/room-lifecycle.ts, as the live matcher's Redis script runs it) and the answers to come. */
interface Proposal {
  life: RoomLife;
  line: RoomLine;
  tickets: Ticket[];
  /** The formed room's team imbalance, for a mode with more than one team. */
  imbalance: number | undefined;
  /** Team index per ticket. */
  teamOf: readonly number[];
  answers: Answer[];
  /** The player of each seat key (core/replay-answers.ts, proposalSeats). */
  players: Map<string, string>;
}

/**
 * The core ticket of a join line: one player, or a party at its rating. `ratingOf` gives a
 * player's rating from the line's (with learning: their current one, the line's before a first game).
 */
export function traceTicket(event: TraceJoin, rule: ModeRule, ratingOf = (_playerId: string, rating: number) => rating): Ticket {
  const { at, ticketId } = event;
  if (!event.players) return { ticketId, playerId: event.playerId, rating: ratingOf(event.playerId, event.rating), joinedAt: at };
  const members = event.players.map(({ playerId, rating }) => ({ playerId, rating: ratingOf(playerId, rating) }));
  const rating = partyRating(
    members.map((member) => member.rating),
    partyRule(rule).aggregate,
  );
  return { ticketId, playerId: members[0]!.playerId, rating, joinedAt: at, members };
}

/**
 * Contract v1.1, in replay (README "Replay"): a mode with `accept` proposes each formed room;
 * its players answer as the trace says (core/replay-answers.ts) and the room's lifecycle is the
 * pure machine the live matcher runs, stepped on the virtual clock: a room line when it turns
 * final, at that tick; or a dissolved line, `left` for the tickets it ended and the others
 * back in their pool with their original join time. A decliner or silent player is cooling down
 * for the mode's `accept.cooldownSeconds`: a later join of theirs in the trace is refused.
 * With `allocationFail`, a seeded share of final rooms fails allocation as the allocator's
 * record (core/room-allocation.ts) decides: tickets back with their wait, the third failure
 * of a ticket's room ends it.
 */
export function replay(events: readonly TraceEvent[], options: ReplayOptions): ReplayResult {
  const { config, tickMs } = options;
  const acceptMs = options.acceptMs ?? 1000;
  const make = options.createPool ?? createPool;
  const slots = new Map<string, PoolSlot>();
  for (const [mode, rule] of Object.entries(config.modes)) {
    for (const region of config.regions) slots.set(poolKey(mode, region), { mode, region, rule, pool: make(rule), proposals: [] });
  }
  const poolOf = new Map<string, Pool>();
  const proposedIn = new Map<string, Proposal>();
  /** Per ticket, its trace's decline / silent lines seen and not yet used by a proposal. */
  const marks = new Map<string, Behaviour[]>();
  /** Per player, the virtual ms until which a join is refused (accept.cooldownSeconds). */
  const coolingUntil = new Map<string, number>();
  /** Per ticket, the failed allocations of its rooms so far. */
  const failures = new Map<string, number>();
  const draw = options.allocationFail && options.allocationFail.share > 0 ? seededRandom(options.allocationFail.seed) : undefined;
  const { learning } = options;
  /** With learning: the ticket each player holds, one at a time. */
  const liveTicketOf = new Map<string, string>();
  const outputs: ReplayOutput[] = [];
  const ends: TicketEnd[] = [];
  const spreads: number[] = [];
  const imbalances: number[] = [];
  const dissolutions: Record<DissolveReason, number> = { declined: 0, accept_timeout: 0, allocation_failed: 0 };
  let waiting = 0;

  const end = (ticket: Ticket, now: number, outcome: TicketEnd['outcome']): void => {
    ends.push({ rating: ticket.rating, size: ticketSize(ticket), waitedMs: now - ticket.joinedAt, outcome });
    waiting--;
    if (learning) for (const seat of seatsOf([ticket])) liveTicketOf.delete(seat.playerId);
  };
  const requeue = (slot: PoolSlot, ticket: Ticket): void => {
    slot.pool.add(ticket);
    poolOf.set(ticket.ticketId, slot.pool);
  };
  const coolDown = (slot: PoolSlot, playerId: string, at: number): void => {
    const ms = (slot.rule.accept?.cooldownSeconds ?? 0) * 1000;
    if (ms > 0) coolingUntil.set(playerId, Math.max(coolingUntil.get(playerId) ?? 0, at + ms));
  };
  const dissolve = (slot: PoolSlot, life: RoomLife, tickets: readonly Ticket[], now: number): void => {
    const { reason, ended } = life.dissolved!;
    dissolutions[reason]++;
    outputs.push({ type: 'dissolved', at: now, tickets: tickets.map((t) => t.ticketId), reason });
    for (const ticket of tickets) {
      if (!ended.includes(ticket.ticketId)) requeue(slot, ticket);
      else {
        outputs.push({ type: 'left', at: now, ticketId: ticket.ticketId, reason });
        end(ticket, now, reason);
      }
    }
  };

  /** A final room: allocated (its room line), or, drawn to fail, dissolved as the allocator's record says. */
  const finish = (slot: PoolSlot, line: RoomLine, tickets: Ticket[], imbalance: number | undefined, teamOf: readonly number[], now: number): void => {
    if (draw && draw() < options.allocationFail!.share) {
      const life = step(step(finalRoom(seatsOf(tickets)), { type: 'allocate' }).room, { type: 'allocation_failed' }).room;
      const held = tickets.map((t) => ({ ticketId: t.ticketId, failures: failures.get(t.ticketId) ?? 0 }));
      const { record } = fail(null, 0, 'allocation_failed', held);
      for (const t of held) failures.set(t.ticketId, t.failures + 1);
      dissolve(slot, { ...life, dissolved: { reason: 'allocation_failed', ended: record!.ended, requeued: record!.requeued } }, tickets, now);
      return;
    }
    outputs.push({ ...line, at: now });
    spreads.push(line.spread);
    if (imbalance !== undefined) imbalances.push(imbalance);
    for (const t of tickets) end(t, now, 'matched');
    if (learning) {
      const seats: LearningSeat[] = tickets.flatMap((ticket, i) =>
        (ticket.members ?? [{ playerId: ticket.playerId, rating: ticket.rating }]).map(({ playerId, rating }) => ({
          playerId,
          team: teamOf[i]!,
          joinedRating: rating,
        })),
      );
      outputs.push(learning.play(slot.mode, slot.rule.teams > 1, seats, line.tickets, now));
    }
  };

  const behaviourOf = (ticketId: string): Behaviour => marks.get(ticketId)?.shift() ?? 'accept';

  /** Steps each pending proposal through the answers due by `now`, then its deadline; acts on what it decided. */
  const settle = (slot: PoolSlot, now: number): void => {
    const pending: Proposal[] = [];
    for (const proposal of slot.proposals) {
      let { life } = proposal;
      while (life.phase === 'proposed' && proposal.answers.length > 0 && proposal.answers[0]!.at <= now) {
        const answer = proposal.answers.shift()!;
        const stepped = step(life, { type: answer.type, playerId: answer.playerId, now: answer.at });
        if (!stepped.ok) continue;
        if (answer.type === 'accept') {
          life = stepped.room;
          continue;
        }
        // Every player who says no in the same instant ends, not only the first one stepped (the
        // contract: the tickets of those who declined end); on a virtual clock nobody is first.
        // The room dissolves as step dissolved it for the first one, with the others' tickets ended too.
        const together = proposal.answers.filter((other) => other.at === answer.at && other.type !== 'accept');
        proposal.answers = proposal.answers.filter((other) => !together.includes(other));
        const declined = [answer, ...together];
        life = dissolveRoom(
          life,
          'declined',
          declined.map((each) => each.playerId),
        );
        for (const each of declined) coolDown(slot, proposal.players.get(each.playerId)!, answer.at);
      }
      if (life.phase === 'proposed') {
        const expired = step(life, { type: 'expire', now });
        if (expired.ok) {
          life = expired.room;
          for (const seat of life.seats) if (!life.accepted.includes(seat.playerId)) coolDown(slot, proposal.players.get(seat.playerId)!, now);
        }
      }
      proposal.life = life;
      if (life.phase === 'proposed') {
        pending.push(proposal);
        continue;
      }
      for (const t of proposal.tickets) proposedIn.delete(t.ticketId);
      if (life.phase === 'final') finish(slot, proposal.line, proposal.tickets, proposal.imbalance, proposal.teamOf, now);
      else dissolve(slot, life, proposal.tickets, now);
    }
    slot.proposals = pending;
  };

  let next = 0;
  let now = tickMs;
  while (next < events.length || waiting > 0) {
    // Nothing waits: jump to the first tick that will see the next event.
    if (waiting === 0) now = Math.max(now, Math.ceil(events[next]!.at / tickMs) * tickMs);
    for (; next < events.length && events[next]!.at <= now; next++) {
      const event = events[next]!;
      if (event.type === 'join') {
        const slot = slots.get(poolKey(event.mode, event.region))!;
        const { pool, rule } = slot;
        if (poolOf.has(event.ticketId) || proposedIn.has(event.ticketId)) continue;
        const ticket = learning ? traceTicket(event, rule, (playerId, base) => learning.ratingOf(slot.mode, playerId, base)) : traceTicket(event, rule);
        if (coolingUntil.size > 0 && seatsOf([ticket]).some((seat) => (coolingUntil.get(seat.playerId) ?? 0) > event.at)) {
          outputs.push({ type: 'refused', at: now, ticketId: event.ticketId, reason: 'cooling_down' });
        } else if (learning && seatsOf([ticket]).some((seat) => liveTicketOf.has(seat.playerId))) {
          outputs.push({ type: 'refused', at: now, ticketId: event.ticketId, reason: 'already_queued' });
        } else if (pool.add(ticket)) {
          poolOf.set(event.ticketId, pool);
          waiting++;
          if (learning) for (const seat of seatsOf([ticket])) liveTicketOf.set(seat.playerId, ticket.ticketId);
        }
      } else if (event.type === 'leave') {
        const proposal = proposedIn.get(event.ticketId);
        if (proposal) {
          // Leave while the room is pending is a decline (contract v1.1, "Ready check").
          proposal.answers.push({ at: event.at, type: 'leave', playerId: `${event.ticketId}#0` });
          proposal.answers.sort((a, b) => a.at - b.at);
          continue;
        }
        const ticket = poolOf.get(event.ticketId)?.remove(event.ticketId);
        if (ticket) {
          poolOf.delete(ticket.ticketId);
          end(ticket, event.at, 'cancelled');
        }
      } else {
        const list = marks.get(event.ticketId) ?? [];
        list.push(event.type);
        marks.set(event.ticketId, list);
      }
    }
    for (const slot of slots.values()) {
      const { mode, region, rule, pool } = slot;
      if (pool.size > 0) {
        const { rooms, expired } = pool.tick(now);
        for (let r = 0; r < rooms.length; r++) {
          const tickets = rooms.ticketsOf(r);
          const line: RoomLine = { type: 'room', at: now, mode, region, tickets: tickets.map((t) => t.ticketId), spread: rooms.spreadOf(r) };
          let imbalance: number | undefined;
          let teamOf: readonly number[] = tickets.map(() => 0);
          if (rule.teams > 1) {
            const room = rooms.room(r);
            line.teams = teamsOf(room.teams, line.tickets, rule.teams);
            imbalance = room.imbalance;
            teamOf = room.teams;
          }
          for (const t of tickets) poolOf.delete(t.ticketId);
          if (!rule.accept) {
            finish(slot, line, tickets, imbalance, teamOf, now);
            continue;
          }
          const { seats, players } = proposalSeats(tickets);
          const proposal: Proposal = {
            life: propose(seats, now + rule.accept.seconds * 1000),
            line,
            tickets,
            imbalance,
            teamOf,
            answers: answersOf(seats, behaviourOf, now, acceptMs),
            players,
          };
          slot.proposals.push(proposal);
          for (const t of tickets) proposedIn.set(t.ticketId, proposal);
        }
        for (const t of expired) {
          outputs.push({ type: 'timeout', at: now, ticketId: t.ticketId });
          poolOf.delete(t.ticketId);
          end(t, now, 'timeout');
        }
      }
      if (slot.proposals.length > 0) settle(slot, now);
    }
    now += tickMs;
  }
  return { outputs, ends, spreads, imbalances, dissolutions };
}

/** Ticket ids per team, in the room's order. */
function teamsOf(teamOf: readonly number[], ticketIds: readonly string[], teams: number): string[][] {
  const out = Array.from({ length: teams }, () => [] as string[]);
  ticketIds.forEach((ticketId, i) => out[teamOf[i]!]!.push(ticketId));
  return out;
}
