import { WebSocket } from 'ws';
import type { Player } from '../../common/players.js';
import type { TicketRef } from '../../common/ticket-store.js';
import { RateLimit } from './rate-limit.js';
import type { ServerMessage } from './protocol.js';

export interface LiveTicket extends TicketRef {
  rating: number;
  joinedAt: number;
}

/** Messages a player may send per second, and in a burst. */
const RATE_PER_SECOND = 10;
const RATE_BURST = 20;

/**
 * One player's socket on this gateway. Its frames and the outcomes for it are handled one
 * after another, so a leave never overtakes its join and `queued` always precedes `matched`.
 */
export class Session {
  /** The live ticket, set once `queued` was sent for it. */
  ticket: LiveTicket | null = null;
  alive = true;
  private chain: Promise<void> = Promise.resolve();
  private readonly rate: RateLimit;

  constructor(readonly socket: WebSocket, readonly player: Player, readonly connectionId: string, now: number) {
    this.rate = new RateLimit(RATE_PER_SECOND, RATE_BURST, now);
  }

  send(message: ServerMessage): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
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

  endTicket(ticketId: string): void {
    if (this.ticket?.ticketId === ticketId) this.ticket = null;
  }
}
