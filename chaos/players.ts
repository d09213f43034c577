import { WebSocket } from 'ws';
import { encodeClientFrame, type ClientFrame, type ServerFrame } from '../packages/client/src/wire/index.js';
import type { Ledger } from './ledger.js';

/**
 * The tickets the whole run opens, shared by all players: at least the budget, and more
 * while faults are still being injected, so every fault meets live traffic.
 */
export class TicketBudget {
  private held = true;
  constructor(private left: number) {}
  take(): boolean {
    if (this.left <= 0 && !this.held) return false;
    this.left -= 1;
    return true;
  }
  /** Faults are over: stop once the budget is spent. */
  release(): void {
    this.held = false;
  }
  giveBack(): void {
    this.left += 1;
  }
  get exhausted(): boolean {
    return this.left <= 0 && !this.held;
  }
}

export interface PlayerEvents {
  matchedAt: number;
  frames: number;
}

/** The share of tickets a player cancels, to keep leaves racing rooms throughout the run. */
const CANCEL_SHARE = 0.1;
/** A player's pause between two games. */
const THINK_MS = 1200;

/**
 * A simulated player that behaves like a real client: joins, waits, plays again, sometimes
 * cancels, and reconnects (to any gateway) whenever its socket drops. Everything it is
 * told goes into the ledger.
 */
export class SimulatedPlayer {
  private socket?: WebSocket;
  private ticketId: string | null = null;
  private joining = false;
  private stopped = false;

  constructor(
    private readonly token: string,
    private readonly gateways: () => string[],
    private readonly ledger: Ledger,
    private readonly budget: TicketBudget,
    private readonly events: PlayerEvents,
    private readonly random: () => number,
  ) {}

  start(): void {
    const urls = this.gateways();
    const url = urls[Math.floor(this.random() * urls.length)]!;
    const socket = new WebSocket(`${url}?token=${encodeURIComponent(this.token)}`);
    this.socket = socket;
    // Typed, not schema-checked: the tests hold the gateway to the schemas; the run counts outcomes.
    socket.on('message', (data) => this.onFrame(JSON.parse(data.toString()) as ServerFrame));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.joining = false;
      if (!this.stopped) setTimeout(() => this.start(), 200 + this.random() * 400);
    });
  }

  private send(frame: ClientFrame): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(encodeClientFrame(frame));
  }

  private join(): void {
    if (this.stopped || this.ticketId || this.joining) return;
    if (!this.budget.take()) return;
    this.joining = true;
    this.send({ type: 'join', mode: 'ffa3', region: 'global' });
  }

  private later(action: () => void, ms: number): void {
    setTimeout(action, ms * (0.5 + this.random()));
  }

  private onFrame(frame: ServerFrame): void {
    this.events.frames += 1;
    switch (frame.type) {
      case 'hello':
        // A live ticket comes back as `queued` by itself; otherwise play.
        this.later(() => this.join(), 300);
        return;
      case 'queued': {
        const { ticketId } = frame;
        if (this.joining) this.joining = false;
        this.ticketId = ticketId;
        this.ledger.queue(ticketId);
        if (this.random() < CANCEL_SHARE) this.later(() => this.send({ type: 'leave' }), 800);
        return;
      }
      case 'matched':
        this.ledger.end(frame.ticketId, { type: 'matched', roomId: frame.room.id });
        this.events.matchedAt = Date.now();
        this.ended(frame.ticketId);
        return;
      case 'left':
        this.ledger.end(frame.ticketId, { type: 'left', reason: frame.reason });
        this.ended(frame.ticketId);
        return;
      case 'error':
        if (frame.code === 'unavailable' || frame.code === 'rate_limited') {
          this.joining = false;
          this.budget.giveBack();
          this.later(() => this.join(), 700);
        } else if (frame.code === 'already_queued') {
          // The gateway died between creating the ticket and answering; the resume will tell.
          this.joining = false;
        }
    }
  }

  private ended(ticketId: string): void {
    if (this.ticketId === ticketId) this.ticketId = null;
    this.later(() => this.join(), THINK_MS);
  }

  stop(): void {
    this.stopped = true;
    this.socket?.close();
  }
}
