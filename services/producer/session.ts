import { WebSocket } from 'ws';
import type { Player } from '../../common/players.js';
import type { TicketRef } from '../../common/ticket-store.js';
import { RateLimit } from './rate-limit.js';
import { encodeServerFrame, type ErrorFrame, type ServerFrame } from '../../packages/client/src/wire/index.js';

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

/** Told of every error frame a session sends, with its cause, to count and log it once. */
export type ErrorReport = (session: Session, frame: ErrorFrame, cause?: unknown) => void;

/**
 * One player's socket on this gateway. Its frames and the outcomes for it are handled one
 * after another, so a leave never overtakes its join and `queued` always precedes `matched`.
 */
export class Session {
  /** The live ticket, set once `queued` was sent for it. */
  ticket: LiveTicket | null = null;
  /** The proposed room waiting for this player's answer; `searching` pauses meanwhile. */
  pending: PendingRoom | null = null;
  /** v1.1: the code of the player's party as last seen here (kept alive while connected). */
  partyCode: string | null = null;
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
  ) {
    this.rate = new RateLimit(RATE_PER_SECOND, RATE_BURST, now);
  }

  /** Sends a frame; an `error` frame is also reported, with `cause` (what went wrong on our side) when there is one. */
  send(frame: ServerFrame, cause?: unknown): void {
    if (frame.type === 'error') this.report(this, frame, cause);
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(encodeServerFrame(frame));
  }

  /** Sends a frame already serialised (one room's JSON shared by its players). */
  sendText(frame: string): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(frame);
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

  endTicket(ticketId: string): void {
    if (this.ticket?.ticketId === ticketId) this.ticket = null;
    if (this.pending?.ticketId === ticketId) this.pending = null;
  }
}
