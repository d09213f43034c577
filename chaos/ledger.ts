/**
 * The chaos run's ledger: everything players were told and did, every room the broker carried
 * and what the fleet saw, reconciled against the contract's guarantees (pure, unit-tested).
 * A ticket is followed per member: a party's ticket is heard by each of its players.
 */

export type TicketEnd = { type: 'matched'; roomId: string; server?: string } | { type: 'left'; reason: string };

export interface AuditedSeat {
  playerId: string;
  ticketId: string;
  waitedMs: number;
  team: number;
  partyId?: string | null;
}

export interface AuditedRoom {
  id: string;
  mode: string;
  createdAt: string;
  spread: number;
  players: AuditedSeat[];
  server?: { address: string };
}

export interface WindowRuleLike {
  initial: number;
  perSecond: number;
  max: number;
}

/** What the ledger needs of each mode: its window, and whether it has a ready check. */
export interface ModeLike {
  window: WindowRuleLike;
  readyCheck: boolean;
}

/** What the fleet saw of one room (chaos/fleet.ts). */
export interface FleetRecord {
  roomId: string;
  requests: number;
  statuses: number[];
  server: { address: string } | null;
  replays: number;
  tickets: string[];
  /**
   * The server never reached the allocator: its answer came after the allocator's timeout (as
   * the fleet saw it, chaos/fleet.ts), or the allocator released the room (Redis holds its
   * allocation dissolved), which it does only with no server in hand.
   */
  late: boolean;
}

/** A ticket's failed allocations that end it (core/room-allocation.ts, the contract's three tries). */
const ALLOCATION_TRIES = 3;
/** waitedMs and createdAt are rounded to the millisecond: allow that much. */
const ROUNDING_MS = 2;

export type LostWhy = 'never-ended' | 'room-not-told' | 'unknown-room';
export type SplitWhy = 'outcome' | 'rooms' | 'teams';
export type ReadyCheckWhy =
  /** A final room with a player who never accepted it (declined, stayed silent, or never answered). */
  | 'final-without-accept'
  /** `left declined` though no member of the ticket declined or left. */
  | 'unexplained-decline'
  /** `left accept_timeout` though every member of the ticket had its accept of the last proposal answered `ready`. */
  | 'unexplained-timeout'
  /** A ticket proposed in another room after the room it ended in (two rooms at once). */
  | 'two-rooms-at-once';
export type AllocationWhy =
  /** A room on matchq.rooms without a server, with an allocator in the pipeline. */
  | 'no-server'
  /** A room whose server is not the one the fleet gave its Idempotency-Key. */
  | 'server-not-from-fleet'
  /** The same room carried twice with different servers. */
  | 'two-servers'
  /** The fleet gave the room a server, but the room never reached matchq.rooms. */
  | 'allocated-not-announced'
  /** `left allocation_failed` before the ticket's third released room. */
  | 'early-allocation-failed';

export interface Reconciliation {
  tickets: number;
  matched: number;
  cancelled: number;
  timedOut: number;
  rooms: number;
  /** Every end the players heard, by reason (matched included), and every `requeued`, by reason; counted per ticket. */
  ends: Record<string, number>;
  requeued: Record<string, number>;
  /** Queued tickets that never ended, and room seats whose player never heard of the room. */
  lost: string[];
  /** Why each lost ticket counts as lost, whose it is, and when it was first queued. */
  lostDetail: { ticketId: string; playerId: string; mode: string; why: LostWhy; queuedAt: number | null }[];
  /**
   * The same end told to a player again (same ticket, same room or reason): a gateway killed
   * between the socket's write and Redis' told mark cannot be told from one killed before the
   * write, so the reconnect tells it again; the SDK drops the repeat. Counted, not a failure.
   */
  retold: { ticketId: string; playerId: string; end: string; at: number }[];
  /** Tickets that ended more than once for a player (two different ends), or sit in two rooms. */
  doubled: string[];
  /** What each doubled ticket was told, or the rooms it sits in. */
  doubledDetail: { ticketId: string; playerId?: string; why: 'two-ends' | 'two-rooms'; what: string[]; at?: number }[];
  /** Rooms whose spread broke a player's window. */
  invalidRooms: string[];
  /** Party tickets seen (more than one member), and those whose members did not share one outcome, room and team. */
  partyTickets: number;
  splitParties: { ticketId: string; why: SplitWhy }[];
  /** Rooms that carried a ticket's wait from later than the ticket's first `queued`: a requeue that lost its wait. */
  waitReset: { roomId: string; ticketId: string; lostMs: number }[];
  /** `at`: when the ticket's first end was heard (epoch ms), to place it among the faults. */
  readyCheck: {
    proposals: number;
    final: number;
    /**
     * Tickets that timed out with nobody silent, because a member's accept never got its `ready`:
     * the `found` came too late or not at all (held up by a fault longer than the time to answer, as
     * the deadline runs from the proposal), or the accept was lost with a gateway killed under it.
     */
    timedOutUnconfirmed: number;
    violations: { roomId: string | null; ticketId: string; why: ReadyCheckWhy; at?: number }[];
  };
  allocation: {
    rooms: number;
    allocated: number;
    released: number;
    requests: number;
    replays: number;
    maxRequestsPerRoom: number;
    statuses: Record<string, number>;
    /**
     * Released rooms the fleet did give a server, in an answer that came after the allocator's
     * timeout (FleetRecord.late): servers a real fleet gets back by its own idle shutdown.
     */
    lateServers: number;
    violations: { roomId: string; ticketId?: string; why: AllocationWhy }[];
  };
}

type Event =
  | { kind: 'found'; roomId: string; expiresInMs: number }
  | { kind: 'answer'; roomId: string; answer: 'accept' | 'decline' | 'silent' }
  | { kind: 'ready'; roomId: string }
  | { kind: 'requeued'; reason: string; roomId: string | null }
  | { kind: 'leave' };

interface Heard {
  mode: string;
  queuedAt: number | null;
  ends: TicketEnd[];
  endedAt: number | null;
  events: Event[];
}

const count = (into: Record<string, number>, key: string) => (into[key] = (into[key] ?? 0) + 1);
const endKey = (end: TicketEnd) => (end.type === 'matched' ? `matched ${end.roomId}` : `left ${end.reason}`);

export class Ledger {
  /** ticketId → playerId → what that player heard and did for the ticket. */
  private readonly tickets = new Map<string, Map<string, Heard>>();
  private readonly rooms = new Map<string, AuditedRoom>();
  private readonly serversOfRoom = new Map<string, Set<string>>();
  private readonly retold: Reconciliation['retold'] = [];

  private heard(ticketId: string, playerId: string, mode = ''): Heard {
    let members = this.tickets.get(ticketId);
    if (!members) this.tickets.set(ticketId, (members = new Map()));
    let heard = members.get(playerId);
    if (!heard) members.set(playerId, (heard = { mode, queuedAt: null, ends: [], endedAt: null, events: [] }));
    if (!heard.mode) heard.mode = mode;
    return heard;
  }

  /** A `queued` (fresh or resumed) for a ticket, heard by one of its players. */
  queue(ticketId: string, playerId: string, mode: string, at = Date.now()): void {
    const heard = this.heard(ticketId, playerId, mode);
    heard.queuedAt ??= at;
  }

  /** A `matched` or `left` the player received. */
  end(ticketId: string, playerId: string, end: TicketEnd, at = Date.now()): void {
    const heard = this.heard(ticketId, playerId);
    if (heard.ends.some((told) => endKey(told) === endKey(end))) {
      this.retold.push({ ticketId, playerId, end: endKey(end), at });
      return;
    }
    heard.ends.push(end);
    heard.endedAt ??= at;
  }

  /** A `found` (ready check) the player received for the ticket. */
  found(ticketId: string, playerId: string, roomId: string, expiresInMs: number): void {
    this.heard(ticketId, playerId).events.push({ kind: 'found', roomId, expiresInMs });
  }

  /** What the player chose for a proposed room: `silent` is recorded when it decides not to answer. */
  answer(ticketId: string, playerId: string, roomId: string, answer: 'accept' | 'decline' | 'silent'): void {
    this.heard(ticketId, playerId).events.push({ kind: 'answer', roomId, answer });
  }

  /** The gateway answered the player's own accept with `ready`: Redis took it. */
  ready(ticketId: string, playerId: string, roomId: string): void {
    this.heard(ticketId, playerId).events.push({ kind: 'ready', roomId });
  }

  /** A `requeued` the player received; `roomId` is the proposal it had pending, if any. */
  requeued(ticketId: string, playerId: string, reason: string, roomId: string | null): void {
    this.heard(ticketId, playerId).events.push({ kind: 'requeued', reason, roomId });
  }

  /** The player sent `leave` for the ticket. */
  leave(ticketId: string, playerId: string): void {
    this.heard(ticketId, playerId).events.push({ kind: 'leave' });
  }

  /** A room seen on the rooms exchange (redeliveries carry the same id). */
  room(room: AuditedRoom): void {
    this.rooms.set(room.id, room);
    const servers = this.serversOfRoom.get(room.id) ?? new Set<string>();
    servers.add(room.server?.address ?? '');
    this.serversOfRoom.set(room.id, servers);
  }

  /** Tickets the players heard of so far. */
  get size(): number {
    return this.tickets.size;
  }

  /** Tickets' players who heard `queued` and no end yet. */
  open(): number {
    let open = 0;
    for (const members of this.tickets.values()) for (const heard of members.values()) if (heard.queuedAt !== null && heard.ends.length === 0) open += 1;
    return open;
  }

  /**
   * @param modes each mode's rule, by name
   * @param fleet what the fleet saw per room, when the run has an allocator
   */
  reconcile(modes: Record<string, ModeLike>, fleet?: Map<string, FleetRecord>): Reconciliation {
    const lost = new Map<string, { playerId: string; why: LostWhy }>();
    const doubled = new Set<string>();
    const doubledDetail: Reconciliation['doubledDetail'] = [];
    const invalidRooms: string[] = [];
    const roomOfTicket = new Map<string, string>();
    const splitParties: Reconciliation['splitParties'] = [];
    const split = (ticketId: string, why: SplitWhy) => {
      if (!splitParties.some((entry) => entry.ticketId === ticketId && entry.why === why)) splitParties.push({ ticketId, why });
    };
    const waitReset: Reconciliation['waitReset'] = [];
    const readyViolations: Reconciliation['readyCheck']['violations'] = [];
    const allocationViolations: Reconciliation['allocation']['violations'] = [];
    // A room the fleet saw, never announced, and given no server the allocator could have had: released.
    const releasedBy = (record: FleetRecord) => !this.rooms.has(record.roomId) && (!record.server || record.late);

    for (const room of this.rooms.values()) {
      const mode = modes[room.mode];
      const teamOfTicket = new Map<string, number>();
      for (const seat of room.players) {
        const other = roomOfTicket.get(seat.ticketId);
        if (other && other !== room.id && !doubled.has(seat.ticketId)) {
          doubled.add(seat.ticketId);
          doubledDetail.push({ ticketId: seat.ticketId, why: 'two-rooms', what: [other, room.id], at: Date.parse(room.createdAt) });
        }
        roomOfTicket.set(seat.ticketId, room.id);
        const team = teamOfTicket.get(seat.ticketId);
        if (team !== undefined && team !== seat.team) split(seat.ticketId, 'teams');
        teamOfTicket.set(seat.ticketId, seat.team);
        const heard = this.tickets.get(seat.ticketId)?.get(seat.playerId);
        if (!heard?.ends.some((end) => end.type === 'matched' && end.roomId === room.id))
          lost.set(`${seat.ticketId} ${seat.playerId}`, { playerId: seat.playerId, why: 'room-not-told' });
        if (mode) {
          const window = Math.min(mode.window.max, mode.window.initial + (mode.window.perSecond * seat.waitedMs) / 1000);
          // waitedMs is rounded to the millisecond in the event: allow that much slack.
          if (room.spread > window + mode.window.perSecond / 1000 && !invalidRooms.includes(room.id)) invalidRooms.push(room.id);
        }
        // The wait counts from the join, which is before the first `queued` anyone of the ticket heard.
        const firstQueued = Math.min(...[...(this.tickets.get(seat.ticketId)?.values() ?? [])].map((member) => member.queuedAt ?? Infinity));
        const joinedAt = Date.parse(room.createdAt) - seat.waitedMs;
        if (Number.isFinite(firstQueued) && joinedAt > firstQueued + ROUNDING_MS && !waitReset.some((entry) => entry.ticketId === seat.ticketId))
          waitReset.push({ roomId: room.id, ticketId: seat.ticketId, lostMs: joinedAt - firstQueued });
        if (mode?.readyCheck) {
          const accepted = heard?.events.some((event) => event.kind === 'answer' && event.roomId === room.id && event.answer === 'accept');
          if (!accepted) readyViolations.push({ roomId: room.id, ticketId: seat.ticketId, why: 'final-without-accept' });
        }
      }
      if (fleet) {
        const servers = this.serversOfRoom.get(room.id)!;
        const given = fleet.get(room.id)?.server?.address;
        if (servers.has('')) allocationViolations.push({ roomId: room.id, why: 'no-server' });
        else if (servers.size > 1) allocationViolations.push({ roomId: room.id, why: 'two-servers' });
        else if (!given || !servers.has(given)) allocationViolations.push({ roomId: room.id, why: 'server-not-from-fleet' });
      }
    }

    const ends: Record<string, number> = {};
    const requeued: Record<string, number> = {};
    let partyTickets = 0;
    let proposals = 0;
    let finalProposals = 0;
    let timedOutUnconfirmed = 0;
    const releasedRoomsOf = new Map<string, number>();
    for (const record of fleet?.values() ?? []) {
      if (!releasedBy(record)) continue;
      for (const ticketId of record.tickets) releasedRoomsOf.set(ticketId, (releasedRoomsOf.get(ticketId) ?? 0) + 1);
    }
    for (const [ticketId, members] of this.tickets) {
      if (members.size > 1) partyTickets += 1;
      const outcomes = new Set<string>();
      let ticketEnd: TicketEnd | undefined;
      const seated = this.rooms.get(roomOfTicket.get(ticketId) ?? '')?.players.filter((seat) => seat.ticketId === ticketId) ?? [];
      const ticketRequeues = new Set<string>();
      const proposed = new Set<string>();
      for (const [playerId, heard] of members) {
        if (heard.ends.length === 0 && heard.queuedAt !== null && !lost.has(`${ticketId} ${playerId}`))
          lost.set(`${ticketId} ${playerId}`, { playerId, why: 'never-ended' });
        if (heard.ends.length > 1) {
          doubled.add(ticketId);
          doubledDetail.push({ ticketId, playerId, why: 'two-ends', what: heard.ends.map(endKey), ...(heard.endedAt !== null ? { at: heard.endedAt } : {}) });
        }
        const end = heard.ends[0];
        if (end) {
          outcomes.add(endKey(end));
          ticketEnd ??= end;
          if (end.type === 'matched' && !this.rooms.has(end.roomId)) lost.set(`${ticketId} ${playerId}`, { playerId, why: 'unknown-room' });
          if (end.type === 'matched' && seated.length > 0 && !seated.some((seat) => seat.playerId === playerId)) split(ticketId, 'rooms');
        }
        for (const event of heard.events) {
          if (event.kind === 'requeued') ticketRequeues.add(`${event.roomId ?? '?'} ${event.reason}`);
          if (event.kind === 'found') proposed.add(event.roomId);
        }
        // A ticket in a final room is in no other proposal after it (the found of its final room is its last).
        const finalRoom = end?.type === 'matched' ? end.roomId : undefined;
        const founds = heard.events.filter((event) => event.kind === 'found').map((event) => event.roomId);
        const lastFinal = finalRoom ? founds.lastIndexOf(finalRoom) : -1;
        if (lastFinal >= 0 && founds.slice(lastFinal + 1).some((roomId) => roomId !== finalRoom))
          readyViolations.push({ roomId: finalRoom!, ticketId, why: 'two-rooms-at-once' });
      }
      // Every player who heard of the ticket heard the same single end.
      if (members.size > 1 && outcomes.size > 1) split(ticketId, 'outcome');
      if (seated.length > 0 && [...members.values()].some((heard) => heard.queuedAt !== null && heard.ends.length > 0)) {
        for (const playerId of members.keys())
          if (members.get(playerId)!.queuedAt !== null && !seated.some((seat) => seat.playerId === playerId)) split(ticketId, 'rooms');
      }
      const everything = [...members.values()].flatMap((heard) => heard.events);
      const endedAt = Math.min(...[...members.values()].map((heard) => heard.endedAt ?? Infinity));
      const at = Number.isFinite(endedAt) ? { at: endedAt } : {};
      if (
        ticketEnd?.type === 'left' &&
        ticketEnd.reason === 'declined' &&
        !everything.some((event) => event.kind === 'leave' || (event.kind === 'answer' && event.answer === 'decline'))
      )
        readyViolations.push({ roomId: null, ticketId, why: 'unexplained-decline', ...at });
      if (
        ticketEnd?.type === 'left' &&
        ticketEnd.reason === 'accept_timeout' &&
        !everything.some((event) => event.kind === 'answer' && event.answer === 'silent')
      ) {
        // Nobody stayed silent: a violation only if every member's accept of the last proposal was taken (answered `ready`).
        const askedInTime = [...members.values()].every((heard) => {
          const found = heard.events.filter((event) => event.kind === 'found').at(-1);
          return found?.kind === 'found' && heard.events.some((event) => event.kind === 'ready' && event.roomId === found.roomId);
        });
        if (askedInTime) readyViolations.push({ roomId: null, ticketId, why: 'unexplained-timeout', ...at });
        else timedOutUnconfirmed += 1;
      }
      if (ticketEnd?.type === 'left' && ticketEnd.reason === 'allocation_failed' && (releasedRoomsOf.get(ticketId) ?? 0) < ALLOCATION_TRIES)
        allocationViolations.push({ roomId: '', ticketId, why: 'early-allocation-failed' });
      if (ticketEnd) count(ends, ticketEnd.type === 'matched' ? 'matched' : ticketEnd.reason);
      for (const entry of ticketRequeues) count(requeued, entry.split(' ')[1]!);
      proposals += proposed.size;
      if (ticketEnd?.type === 'matched' && proposed.has(ticketEnd.roomId)) finalProposals += 1;
    }

    let requests = 0;
    let replays = 0;
    let maxRequestsPerRoom = 0;
    let released = 0;
    let lateServers = 0;
    const statuses: Record<string, number> = {};
    for (const record of fleet?.values() ?? []) {
      requests += record.requests;
      replays += record.replays;
      maxRequestsPerRoom = Math.max(maxRequestsPerRoom, record.requests);
      for (const status of record.statuses) count(statuses, String(status));
      if (record.server && !record.late && !this.rooms.has(record.roomId)) allocationViolations.push({ roomId: record.roomId, why: 'allocated-not-announced' });
      if (releasedBy(record)) released += 1;
      if (record.server && releasedBy(record)) lateServers += 1;
    }

    const lostEntries = [...lost].map(([key, { playerId, why }]) => {
      const ticketId = key.split(' ')[0]!;
      const heard = this.tickets.get(ticketId)?.get(playerId);
      const mode = heard?.mode || (this.rooms.get(roomOfTicket.get(ticketId) ?? '')?.mode ?? '');
      return { ticketId, playerId, mode, why, queuedAt: heard?.queuedAt ?? null };
    });
    return {
      tickets: this.tickets.size,
      matched: ends.matched ?? 0,
      cancelled: ends.cancelled ?? 0,
      timedOut: ends.timeout ?? 0,
      rooms: this.rooms.size,
      ends,
      requeued,
      lost: [...new Set(lostEntries.map((entry) => entry.ticketId))],
      lostDetail: lostEntries,
      retold: [...this.retold],
      doubled: [...doubled],
      doubledDetail,
      invalidRooms,
      partyTickets,
      splitParties,
      waitReset,
      readyCheck: { proposals, final: finalProposals, timedOutUnconfirmed, violations: readyViolations },
      allocation: {
        rooms: fleet?.size ?? 0,
        allocated: [...(fleet?.values() ?? [])].filter((record) => record.server).length,
        released,
        requests,
        replays,
        maxRequestsPerRoom,
        statuses,
        lateServers,
        violations: allocationViolations,
      },
    };
  }
}

/** Every row of the results the chaos game server posted, and what PostgreSQL holds of ratings. */
export interface ResultsEvidence {
  /** Room id → its players, for every result the game server had accepted (200). */
  posted: Map<string, string[]>;
  /** Room id → how many times a post of it was answered 200 (repeats included). */
  answers: Map<string, { answers: number; distinct: number }>;
  results: { roomId: string }[];
  history: { roomId: string; playerId: string; mode: string }[];
  ratings: { playerId: string; mode: string; games: number }[];
}

export type ResultWhy =
  /** A posted result with no result row, or a room whose history rows are not one per player. */
  | 'not-applied-once'
  /** Two posts of one result answered differently. */
  | 'different-answers'
  /** A rating history row, or a result row, for a room no result was posted for. */
  | 'rating-without-result'
  /** A rating's game count that is not its history's row count. */
  | 'games-off';

export interface ResultsReconciliation {
  posted: number;
  repeats: number;
  historyRows: number;
  violations: { roomId?: string; playerId?: string; why: ResultWhy }[];
}

/** Each result applied once, and no rating moved by anything but a result (contract, guarantee 5). */
export function reconcileResults(evidence: ResultsEvidence): ResultsReconciliation {
  const violations: ResultsReconciliation['violations'] = [];
  const rowsOf = new Map<string, string[]>();
  for (const row of evidence.history) rowsOf.set(row.roomId, [...(rowsOf.get(row.roomId) ?? []), row.playerId]);
  const resultRooms = new Set(evidence.results.map((row) => row.roomId));
  for (const [roomId, players] of evidence.posted) {
    const rows = rowsOf.get(roomId) ?? [];
    const once = rows.length === players.length && players.every((playerId) => rows.includes(playerId)) && resultRooms.has(roomId);
    if (!once) violations.push({ roomId, why: 'not-applied-once' });
  }
  for (const [roomId, { distinct }] of evidence.answers) if (distinct > 1) violations.push({ roomId, why: 'different-answers' });
  for (const roomId of new Set([...rowsOf.keys(), ...resultRooms])) if (!evidence.posted.has(roomId)) violations.push({ roomId, why: 'rating-without-result' });
  const gamesOf = new Map<string, number>();
  for (const row of evidence.history) gamesOf.set(`${row.playerId} ${row.mode}`, (gamesOf.get(`${row.playerId} ${row.mode}`) ?? 0) + 1);
  const gamesRated = new Map(evidence.ratings.map((rating) => [`${rating.playerId} ${rating.mode}`, rating.games]));
  for (const key of new Set([...gamesOf.keys(), ...gamesRated.keys()])) {
    if ((gamesOf.get(key) ?? 0) !== (gamesRated.get(key) ?? 0)) violations.push({ playerId: key.split(' ')[0]!, why: 'games-off' });
  }
  let repeats = 0;
  for (const { answers } of evidence.answers.values()) repeats += Math.max(0, answers - 1);
  return { posted: evidence.posted.size, repeats, historyRows: evidence.history.length, violations };
}
