/**
 * The chaos run's ledger: everything players were told and every room the broker carried,
 * reconciled against the contract's guarantees (pure, unit-tested).
 */

export type TicketEnd = { type: 'matched'; roomId: string } | { type: 'left'; reason: string };

export interface AuditedRoom {
  id: string;
  spread: number;
  players: { ticketId: string; waitedMs: number }[];
}

export interface WindowRuleLike {
  initial: number;
  perSecond: number;
  max: number;
}

export interface Reconciliation {
  tickets: number;
  matched: number;
  cancelled: number;
  timedOut: number;
  rooms: number;
  /** Queued tickets that never ended, and room seats whose player never heard of the room. */
  lost: string[];
  /** Why each lost ticket counts as lost, and when it was first queued. */
  lostDetail: { ticketId: string; why: 'never-ended' | 'room-not-told' | 'unknown-room'; queuedAt: number | null }[];
  /** Tickets that ended more than once, or sit in two rooms. */
  doubled: string[];
  /** Rooms whose spread broke a player's window. */
  invalidRooms: string[];
}

export class Ledger {
  private readonly queued = new Set<string>();
  private readonly queuedAt = new Map<string, number>();
  private readonly ends = new Map<string, TicketEnd[]>();
  private readonly rooms = new Map<string, AuditedRoom>();

  /** A `queued` (fresh or resumed) for a ticket. */
  queue(ticketId: string, at = Date.now()): void {
    this.queued.add(ticketId);
    if (!this.queuedAt.has(ticketId)) this.queuedAt.set(ticketId, at);
  }

  /** A `matched` or `left` the player received. */
  end(ticketId: string, end: TicketEnd): void {
    this.ends.set(ticketId, [...(this.ends.get(ticketId) ?? []), end]);
  }

  /** A room seen on the rooms exchange (redeliveries carry the same id). */
  room(room: AuditedRoom): void {
    this.rooms.set(room.id, room);
  }

  /** Tickets the players heard of so far. */
  get size(): number {
    return new Set([...this.queued, ...this.ends.keys()]).size;
  }

  /** Tickets the players know of that have not ended yet. */
  open(): number {
    let open = 0;
    for (const ticketId of this.queued) if (!this.ends.has(ticketId)) open += 1;
    return open;
  }

  reconcile(rule: WindowRuleLike): Reconciliation {
    const lost = new Map<string, Reconciliation['lostDetail'][number]['why']>();
    const doubled = new Set<string>();
    const invalidRooms: string[] = [];
    const roomOfTicket = new Map<string, string>();
    for (const room of this.rooms.values()) {
      for (const seat of room.players) {
        const other = roomOfTicket.get(seat.ticketId);
        if (other && other !== room.id) doubled.add(seat.ticketId);
        roomOfTicket.set(seat.ticketId, room.id);
        const heard = this.ends.get(seat.ticketId) ?? [];
        if (!heard.some((end) => end.type === 'matched' && end.roomId === room.id)) lost.set(seat.ticketId, 'room-not-told');
        const window = Math.min(rule.max, rule.initial + (rule.perSecond * seat.waitedMs) / 1000);
        // waitedMs is rounded to the millisecond in the event: allow that much slack.
        if (room.spread > window + rule.perSecond / 1000 && !invalidRooms.includes(room.id)) invalidRooms.push(room.id);
      }
    }
    const everyTicket = new Set([...this.queued, ...this.ends.keys()]);
    let matched = 0;
    let cancelled = 0;
    let timedOut = 0;
    for (const ticketId of everyTicket) {
      const ends = this.ends.get(ticketId) ?? [];
      if (ends.length === 0 && !lost.has(ticketId)) lost.set(ticketId, 'never-ended');
      if (ends.length > 1) doubled.add(ticketId);
      const end = ends[0];
      if (end?.type === 'matched') {
        matched += 1;
        if (!this.rooms.has(end.roomId)) lost.set(ticketId, 'unknown-room');
      } else if (end?.type === 'left') {
        if (end.reason === 'timeout') timedOut += 1;
        else cancelled += 1;
      }
    }
    return {
      tickets: everyTicket.size,
      matched,
      cancelled,
      timedOut,
      rooms: this.rooms.size,
      lost: [...lost.keys()],
      lostDetail: [...lost].map(([ticketId, why]) => ({ ticketId, why, queuedAt: this.queuedAt.get(ticketId) ?? null })),
      doubled: [...doubled],
      invalidRooms,
    };
  }
}
