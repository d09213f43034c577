import type { Writable } from 'node:stream';
import { WebSocket } from 'ws';
import type { Player } from '../../common/players.js';
import type { TicketRef } from '../../common/ticket-store.js';
import { RateLimit } from './rate-limit.js';
import type { TurnWrites } from './turn-writes.js';
import { encodeServerFrame, type ErrorFrame, type Party, type RequestId, type ServerFrame } from '../../packages/client/src/wire/index.js';

export interface LiveTicket extends TicketRef {
  rating: number;
  joinedAt: number;
  /** v1.1: the ticket is the player's party's (opened by its leader for every member). */
  partyId?: string;
}

/** A room proposed to this player (ready check), waiting for their answer. */
export interface PendingRoom extends TicketRef {
  roomId: string;
  /** Every player of the room, to tell them `ready` after an accept. */
  playerIds: string[];
}

/** Messages a player may send per second, and in a burst. */
const RATE_PER_SECOND = 10;
const RATE_BURST = 20;
/** Ended tickets a session remembers: enough for the party fanouts still in flight. */
const ENDED_TICKETS_KEPT = 8;

/** A party view in one string, its members in order: two views are the same frame exactly when their keys are. */
const partyKey = (party: Party | null): string =>
  party ? JSON.stringify([party.id, party.code, party.leader, party.members.map((member) => [member.id, member.name, member.rating])]) : 'null';

/** Told of every error frame a session sends, with its cause, to count and log it once. */
export type ErrorReport = (session: Session, frame: ErrorFrame, cause?: unknown) => void;

/**
 * One player's socket on this gateway. Its frames and the outcomes for it are handled one
 * after another, so a leave never overtakes its join and `queued` always precedes `matched`.
 */
export class Session {
  /** The tickets whose end this connection told last, newest last. */
  private readonly ended: string[] = [];
  /** The live ticket, set once `queued` was sent for it. */
  ticket: LiveTicket | null = null;
  /** The proposed room waiting for this player's answer; `searching` pauses meanwhile. */
  pending: PendingRoom | null = null;
  /** The highest `ready` count told, and for which room: counts only go up (tellReady). */
  private readyTold: { roomId: string; accepted: number } | null = null;
  /** The latest proposal told (`found`) for the live ticket: a ticket's proposals come one after another, each with a later deadline. */
  private latestFound: { ticketId: string; roomId: string; deadline: number } | null = null;
  /** v1.1: the code of the player's party as last seen here (kept alive while connected). */
  partyCode: string | null = null;
  /** v1.1: the last `party` frame this connection was sent (partyKey), to tell the party again only where it changed. */
  private partyTold = partyKey(null);
  alive = true;
  /** Current rating per mode (round μ), read at sign-in and kept current by rating-updates.ts; a mode not in it: the base rating. */
  ratings: Record<string, number> = {};
  private chain: Promise<void> = Promise.resolve();
  private readonly rate: RateLimit;

  constructor(
    readonly socket: WebSocket,
    readonly player: Player,
    readonly connectionId: string,
    now: number,
    private readonly report: ErrorReport,
    /** The TCP socket under `socket` and the gateway's turn writes: a turn's frames to this socket leave in one write. */
    private readonly wire?: { tcp: Writable; writes: TurnWrites },
  ) {
    this.rate = new RateLimit(RATE_PER_SECOND, RATE_BURST, now);
  }

  /** Sends a frame; an `error` frame is also reported, with `cause` (what went wrong on our side) when there is one. */
  send(frame: ServerFrame, cause?: unknown): void {
    if (frame.type === 'error') this.report(this, frame, cause);
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.wire?.writes.hold(this.wire.tcp);
    this.socket.send(encodeServerFrame(frame));
  }

  /**
   * Tells the room's accept count. The broadcasts of accepts close together arrive in any order
   * (each gateway's, each through the broker), so a count below one told already is dropped, and
   * the reply to the player's own accept (`reply`, always sent) never says less than was told.
   */
  tellReady(roomId: string, accepted: number, total: number, reply?: { id?: RequestId }): void {
    const told = this.readyTold?.roomId === roomId ? this.readyTold.accepted : -1;
    if (!reply && accepted <= told) return;
    const count = Math.max(accepted, told);
    this.readyTold = { roomId, accepted: count };
    this.send({ type: 'ready', roomId, accepted: count, total, id: reply?.id });
  }

  /**
   * Sends a frame already serialised (one room's JSON shared by its players); `written` is called
   * once the socket took it (ws's send callback), with an error when it could not.
   */
  sendText(frame: string, written?: (error?: Error) => void): void {
    if (this.socket.readyState !== WebSocket.OPEN) return written?.(new Error('the socket is closed'));
    this.wire?.writes.hold(this.wire.tcp);
    this.socket.send(frame, written);
  }

  /** Sends a `party` frame (null: in no party) and remembers it as what this player sees. */
  tellParty(party: Party | null, id?: RequestId): void {
    this.partyCode = party?.code ?? null;
    this.partyTold = partyKey(party);
    this.send({ type: 'party', party, id });
  }

  /** Whether this player was last told `party` (null: none) as it is, so telling it again would change nothing. */
  toldParty(party: Party | null): boolean {
    return this.partyTold === partyKey(party);
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  allow(now: number): boolean {
    return this.rate.take(now);
  }

  /** Runs `work` after everything queued before it on this session. */
  serial(work: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(work, work);
    return this.chain;
  }

  /** The rating a join in `mode` uses. */
  ratingIn(mode: string): number {
    return this.ratings[mode] ?? this.player.rating;
  }

  /**
   * The ticket whose end this connection told last: Redis holds it ended, so a join that finds
   * the player's pointer still naming it may open the next ticket without reading the pointer
   * and the ticket first (ticket-desk.ts join). Null until an end was told here.
   */
  lastEnded: TicketRef | null = null;

  /**
   * Whether a `found` is older than the latest one told for its ticket (a delivery retried or
   * overtaken: its room dissolved before the newer one formed), else records it as the latest.
   * Told, it would ask the player to accept a room long gone, after the one that is waiting.
   */
  foundIsStale(ticketId: string, roomId: string, deadline: number): boolean {
    const latest = this.latestFound;
    if (latest?.ticketId === ticketId && latest.roomId !== roomId && deadline <= latest.deadline) return true;
    this.latestFound = { ticketId, roomId, deadline };
    return false;
  }

  endTicket(ref: TicketRef): void {
    const { ticketId } = ref;
    if (this.ticket?.ticketId === ticketId) this.ticket = null;
    if (this.pending?.ticketId === ticketId) this.pending = null;
    this.lastEnded = { ticketId, mode: ref.mode, region: ref.region };
    this.ended.push(ticketId);
    if (this.ended.length > ENDED_TICKETS_KEPT) this.ended.shift();
  }

  /**
   * This connection already told the ticket's end: a party's `queued` fanout that arrives after
   * it (the room formed before the fanout got here) is stale and must not reopen the ticket.
   */
  hasEnded(ticketId: string): boolean {
    return this.ended.includes(ticketId);
  }
}
