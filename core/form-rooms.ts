/**
 * Forming rooms at a tick: oldest first, closest ratings, skipping whoever does not fit.
 *
 * The rule (contract) fixes which rooms are allowed: spread ≤ the window of every member, a
 * window growing with wait. Within it, every player wants a room as soon as one is allowed,
 * and among allowed rooms the closest ratings. At a tick:
 *   1. Order the pool by wait (oldest first) and by rating (radix sorts on typed keys).
 *   2. For each ticket still free, oldest first, take the smallest-spread allowed room that
 *      contains it (RoomSearch: an outward walk in rating order that may skip players whose
 *      window is too small), and remove its members from the rating list.
 *   3. Expire the free tickets that have waited maxWaitSeconds.
 * Cost: two O(n) radix sorts plus a bounded walk per ticket, so O(n) per tick after the keys,
 * within the n log n budget; a tick allocates nothing per waiting ticket, only per room.
 *
 * Why oldest first: the oldest ticket has the widest window, so it can join the most rooms
 * and it is the one the rule has made wait longest. The players at the rating extremes are
 * old by the time any room fits them; serving them first, and letting their room skip a
 * fresh player in between (who cannot accept their spread yet), is what cuts the tail.
 * The baseline instead forms the first run of consecutive players from the low-rating end.
 *
 * Wait versus spread: a room is formed the first tick it is allowed; holding a ticket back
 * for a closer room later would lower spreads but every tick of waiting is certain cost
 * against a possible gain, and the window already encodes how much spread a player accepts
 * after that wait. What the algorithm does choose is, per anchor, the closest room allowed
 * now: a wide-window anchor takes the nearest ratings, not the first that fit, so spreads
 * stay near the density of the pool rather than near the window.
 *
 * The pass is maximal: a room still allowed after it would contain some oldest member that
 * found no room when its turn came, while all of that room's members were still free.
 */
import { balanceTeams } from "./teams.js";
import { roomSize, windowAt } from "./rule.js";
import { RoomSearch } from "./room-search.js";
import { ticketIdHash, TicketOrderer } from "./ticket-order.js";
import type { FormedRoom, ModeRule, Ticket } from "./types.js";

/** What became of each ticket index at a tick. */
export const KEPT = 0;
export const MATCHED = 1;
export const EXPIRED = 2;

export interface TickOutcome {
  rooms: FormedRoom[];
  /** Expired tickets, oldest first. */
  expired: Ticket[];
  /** KEPT, MATCHED or EXPIRED per input index (valid for [0, n) until the next run). */
  fate: Uint8Array;
}

/** Forms rooms over arrays of tickets, reusing its buffers from tick to tick. */
export class RoomFormer {
  private readonly rule: ModeRule;
  private readonly search: RoomSearch;
  private readonly orderer = new TicketOrderer();
  // Per ticket index, gathered in one sequential pass: ticket objects are read once.
  private ratingOf = new Float64Array(0);
  private joinedAtOf = new Float64Array(0);
  // Per rating position.
  private rating = new Float64Array(0);
  private window = new Float64Array(0);
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  private positionOf = new Int32Array(0);
  private fate = new Uint8Array(0);
  /**
   * The `teams` of every room when there is one team: shared and frozen, because a big tick
   * forms tens of thousands of rooms and each allocation it saves is one the GC need not copy.
   */
  private readonly oneTeam: number[];

  constructor(rule: ModeRule) {
    this.rule = rule;
    this.search = new RoomSearch(roomSize(rule));
    this.oneTeam = Object.freeze(new Array<number>(roomSize(rule)).fill(0)) as number[];
  }

  /** `hashes[i]` must be ticketIdHash(tickets[i].ticketId). */
  run(tickets: readonly Ticket[], hashes: Uint32Array, n: number, now: number): TickOutcome {
    this.reserve(n);
    const { rule, search, ratingOf, joinedAtOf, rating, window, prev, next, positionOf, fate } = this;
    for (let i = 0; i < n; i++) {
      const t = tickets[i]!;
      ratingOf[i] = t.rating;
      joinedAtOf[i] = t.joinedAt;
    }
    this.orderer.order(tickets, ratingOf, joinedAtOf, hashes, n);
    const { byWait, byRating } = this.orderer;
    for (let p = 0; p < n; p++) {
      const i = byRating[p]!;
      rating[p] = ratingOf[i]!;
      window[p] = windowAt(rule, now - joinedAtOf[i]!);
      prev[p] = p - 1;
      next[p] = p + 1;
      positionOf[i] = p;
    }
    fate.fill(KEPT, 0, n);

    const rooms: FormedRoom[] = [];
    const k = search.members.length;
    for (let q = 0; q < n; q++) {
      const anchor = byWait[q]!;
      if (fate[anchor] !== KEPT) continue;
      if (!search.find(positionOf[anchor]!, rating, window, prev, next, n)) continue;
      // Members come ascending by rating; the room lists them descending.
      const members = new Array<Ticket>(k);
      for (let m = 0; m < k; m++) {
        const p = search.members[m]!;
        const i = byRating[p]!;
        fate[i] = MATCHED;
        members[k - 1 - m] = tickets[i]!;
        // Unlink p from the free list.
        if (prev[p]! >= 0) next[prev[p]!] = next[p]!;
        if (next[p]! < n) prev[next[p]!] = prev[p]!;
      }
      const spread = rating[search.members[k - 1]!]! - rating[search.members[0]!]!;
      rooms.push(
        rule.teams === 1 ? { tickets: members, teams: this.oneTeam, spread, imbalance: 0 } : buildTeamRoom(members, spread, rule),
      );
    }

    const expired: Ticket[] = [];
    const maxWaitMs = rule.maxWaitSeconds * 1000;
    for (let q = 0; q < n; q++) {
      const i = byWait[q]!;
      if (now - joinedAtOf[i]! < maxWaitMs) break; // the rest waited less
      if (fate[i] !== KEPT) continue;
      fate[i] = EXPIRED;
      expired.push(tickets[i]!);
    }
    return { rooms, expired, fate };
  }

  private reserve(n: number): void {
    if (this.rating.length >= n) return;
    const capacity = Math.max(n, this.rating.length * 2);
    this.ratingOf = new Float64Array(capacity);
    this.joinedAtOf = new Float64Array(capacity);
    this.rating = new Float64Array(capacity);
    this.window = new Float64Array(capacity);
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    this.positionOf = new Int32Array(capacity);
    this.fate = new Uint8Array(capacity);
  }
}

/** `members` descending by rating; returns them by team, then rating descending. */
function buildTeamRoom(members: Ticket[], spread: number, rule: ModeRule): FormedRoom {
  const { teamOf, imbalance } = balanceTeams(members.map((t) => t.rating), rule.teams, rule.teamSize);
  const order = members.map((_, i) => i).sort((a, b) => teamOf[a]! - teamOf[b]! || a - b);
  return { tickets: order.map((i) => members[i]!), teams: order.map((i) => teamOf[i]!), spread, imbalance };
}

/**
 * The tick as a pure function: which rooms form among `tickets` at `now`, which tickets
 * expire, which stay. Same tickets in any order give the same result.
 */
export function formRooms(
  tickets: readonly Ticket[],
  rule: ModeRule,
  now: number,
): { rooms: FormedRoom[]; expired: Ticket[]; kept: Ticket[] } {
  const hashes = Uint32Array.from(tickets, (t) => ticketIdHash(t.ticketId));
  const { rooms, expired, fate } = new RoomFormer(rule).run(tickets, hashes, tickets.length, now);
  return { rooms, expired, kept: tickets.filter((_, i) => fate[i] === KEPT) };
}
