import { connect, type MatchqClient } from '../packages/client/src/index.js';
import type { ClientFrame, Party, ServerFrame } from '../packages/client/src/wire/index.js';
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
  /** No ticket more, spent or not: the run is out of time, and the tickets in flight are to end. */
  close(): void {
    this.held = false;
    this.left = 0;
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

/** The share of tickets a player cancels, to keep leaves racing rooms throughout the run (split among a party's members). */
const CANCEL_SHARE = 0.1;
/** In a ready-check mode, the shares of proposals a player declines, or leaves unanswered. */
export const DECLINE_SHARE = 0.1;
export const SILENT_SHARE = 0.1;
/** A player's pause between two games. */
const THINK_MS = 1200;
/** How often a party member who is not in the crew's party yet tries again. */
const PARTY_RETRY_MS = 500;
/** How many of a player's last steps its trail keeps. */
const TRAIL_LENGTH = 400;

/** A frame as a trail names it: its type, then the ticket and the room it is about (first 8 characters), and an error's code. */
function describe(frame: ServerFrame): string {
  const words: string[] = [frame.type];
  if ('ticketId' in frame && typeof frame.ticketId === 'string') words.push(frame.ticketId.slice(0, 8));
  if ('roomId' in frame && typeof frame.roomId === 'string') words.push(`room ${frame.roomId.slice(0, 8)}`);
  if (frame.type === 'ready') words.push(`${frame.accepted}/${frame.total}${frame.id === undefined ? '' : ` for ${String(frame.id).slice(0, 15)}`}`);
  if (frame.type === 'error') words.push(frame.code);
  return words.join(' ');
}

/**
 * Friends who play together: the leader creates the party and queues for it; the others join
 * it by its code (shared out of band, as friends would). The code changes when the leader has
 * to create the party again (its party ended).
 */
export class Crew {
  code: string | null = null;
  partyId: string | null = null;
  constructor(readonly size: number) {}
}

export interface PlayerPlan {
  mode: string;
  /** Absent: a solo player. */
  crew?: Crew;
  leader?: boolean;
}

/**
 * A simulated player that behaves like a real client: joins, waits, plays again, sometimes
 * cancels, answers ready checks (accepts, sometimes declines or stays silent), plays in its
 * crew's party, and reconnects (to any gateway) whenever its socket drops. Everything it is
 * told, and every answer it gives, goes into the ledger.
 */
export class SimulatedPlayer {
  private client?: MatchqClient;
  private playerId = '';
  private ticketId: string | null = null;
  private joining = false;
  private stopped = false;
  /** The party as the last `party` frame since the last `hello` said; undefined: none heard yet. */
  private party: Party | null | undefined;
  /** The proposal the player has pending, and what it chose for each room it was proposed. */
  private pendingRoom: string | null = null;
  private readonly choices = new Map<string, 'accept' | 'decline' | 'silent'>();
  /** The player's last connections and frames (no `searching`), to read a lost ticket's story off the report. */
  readonly trail: { at: number; what: string }[] = [];

  constructor(
    private readonly token: string,
    private readonly plan: PlayerPlan,
    private readonly gateways: () => string[],
    private readonly ledger: Ledger,
    private readonly budget: TicketBudget,
    private readonly events: PlayerEvents,
    private readonly random: () => number,
  ) {}

  private get solo(): boolean {
    return !this.plan.crew;
  }

  /**
   * One connection through @matchq/client, to a gateway drawn at random. The player reconnects
   * by itself rather than through the SDK's reconnect: to any gateway of the run's list as it
   * is then (a restarted gateway has a new port), after a pause from the run's seeded random.
   */
  start(): void {
    const urls = this.gateways();
    const url = urls[Math.floor(this.random() * urls.length)]!;
    // Typed, not schema-checked (validate: false): the tests hold the gateway to the schemas; the run counts outcomes.
    const client = connect(url, this.token, { reconnect: false, validate: false });
    this.client = client;
    this.note(`connect ${new URL(url).port}`);
    client.on('open', () => this.note('open'));
    client.on('frame', (frame) => this.onFrame(frame));
    // A repeat the SDK drops still goes into the ledger, which counts it as retold.
    client.on('retold', (frame) => this.onFrame(frame));
    // Not JSON, or no type: a gateway bug the run cannot count, so it is said (before the SDK, it threw in ws's handler).
    client.on('invalid', ({ text, message }) => {
      this.note(`invalid: ${message}`);
      process.stderr.write(`chaos: player ${this.playerId || '?'} got ${message}: ${text.slice(0, 200)}\n`);
    });
    client.on('close', ({ code }) => {
      this.note(`close ${code}`);
      this.joining = false;
      if (!this.stopped) setTimeout(() => this.start(), 200 + this.random() * 400);
    });
  }

  private send(frame: ClientFrame): void {
    if (!this.client?.send(frame)) return this.note(`not sent ${frame.type}`);
    this.note(`sent ${frame.type}`);
  }

  private note(what: string): void {
    this.trail.push({ at: Date.now(), what });
    if (this.trail.length > TRAIL_LENGTH) this.trail.shift();
  }

  /** The player's id, once the gateway said hello. */
  get id(): string {
    return this.playerId;
  }

  /** Solo players and party leaders queue; a leader only with the whole crew in its party. */
  private join(): void {
    if (this.stopped || this.ticketId || this.joining) return;
    if (this.plan.crew && !(this.plan.leader && this.partyComplete())) return;
    if (!this.budget.take()) return;
    this.joining = true;
    this.send({ type: 'join', mode: this.plan.mode, region: 'global' });
  }

  private partyComplete(): boolean {
    return !!this.party && this.party.leader === this.playerId && this.party.members.length === this.plan.crew!.size;
  }

  /** A crew member not (yet) in the crew's party gets into it: the leader creates it, the others join it by code. */
  private ensureParty(): void {
    const crew = this.plan.crew;
    if (this.stopped || !crew || this.party === undefined) return;
    if (this.party && (this.plan.leader ? this.party.leader === this.playerId : this.party.id === crew.partyId)) return;
    if (this.party) {
      // In a party that is not the crew's (a leftover): leave it, then try again.
      this.send({ type: 'party.leave' });
    } else if (this.plan.leader) {
      this.send({ type: 'party.create' });
    } else if (crew.code) {
      this.send({ type: 'party.join', code: crew.code });
    }
    this.later(() => this.ensureParty(), PARTY_RETRY_MS);
  }

  private later(action: () => void, ms: number): void {
    setTimeout(action, ms * (0.5 + this.random()));
  }

  private onFrame(frame: ServerFrame): void {
    this.events.frames += 1;
    if (frame.type !== 'searching') this.note(describe(frame));
    switch (frame.type) {
      case 'hello':
        this.playerId = frame.player.id;
        this.party = this.solo ? null : undefined;
        this.pendingRoom = null;
        // A live ticket comes back as `queued` by itself, and a party as `party`; otherwise play.
        if (this.solo) this.later(() => this.join(), 300);
        else
          this.later(() => {
            this.party ??= null;
            this.ensureParty();
          }, 300);
        return;
      case 'party':
        this.onParty(frame.party);
        return;
      case 'queued': {
        const { ticketId } = frame;
        if (this.joining) this.joining = false;
        this.ticketId = ticketId;
        this.ledger.queue(ticketId, this.playerId, frame.mode);
        if (this.random() < CANCEL_SHARE / (this.plan.crew?.size ?? 1))
          this.later(() => {
            if (this.ticketId !== ticketId) return;
            this.ledger.leave(ticketId, this.playerId);
            this.send({ type: 'leave' });
          }, 800);
        return;
      }
      case 'found':
        this.onFound(frame.ticketId, frame.roomId, frame.expiresInMs);
        return;
      case 'ready':
        if (frame.id === `accept ${frame.roomId}` && this.ticketId) this.ledger.ready(this.ticketId, this.playerId, frame.roomId);
        return;
      case 'requeued':
        this.ledger.requeued(frame.ticketId, this.playerId, frame.reason, this.pendingRoom);
        this.pendingRoom = null;
        return;
      case 'matched':
        this.ledger.end(frame.ticketId, this.playerId, {
          type: 'matched',
          roomId: frame.room.id,
          ...(frame.room.server ? { server: frame.room.server.address } : {}),
        });
        this.events.matchedAt = Date.now();
        this.ended(frame.ticketId);
        return;
      case 'left':
        this.ledger.end(frame.ticketId, this.playerId, { type: 'left', reason: frame.reason });
        this.ended(frame.ticketId);
        return;
      case 'error':
        this.onError(frame.code);
    }
  }

  private onParty(party: Party | null): void {
    const crew = this.plan.crew;
    this.party = party;
    if (!crew) return;
    if (party && this.plan.leader && party.leader === this.playerId) {
      crew.code = party.code;
      crew.partyId = party.id;
    }
    if (!party || (!this.plan.leader && party.id !== crew.partyId)) this.later(() => this.ensureParty(), PARTY_RETRY_MS);
    if (this.partyComplete()) this.later(() => this.join(), 300);
  }

  /** A proposal (or the same one again, after a reconnect): accept, decline, or stay silent, decided once per room. */
  private onFound(ticketId: string, roomId: string, expiresInMs: number): void {
    this.ledger.found(ticketId, this.playerId, roomId, expiresInMs);
    this.pendingRoom = roomId;
    let choice = this.choices.get(roomId);
    if (!choice) {
      const draw = this.random();
      choice = draw < DECLINE_SHARE ? 'decline' : draw < DECLINE_SHARE + SILENT_SHARE ? 'silent' : 'accept';
      this.choices.set(roomId, choice);
      this.ledger.answer(ticketId, this.playerId, roomId, choice);
    }
    if (choice === 'silent') return;
    const answer = choice;
    // Well within the time left, so an answer is late only when a fault holds it up.
    // An accept carries an id so that its `ready` tells the ledger Redis took it.
    setTimeout(
      () => this.send(answer === 'accept' ? { type: 'accept', roomId, id: `accept ${roomId}` } : { type: 'decline', roomId }),
      Math.min(800, expiresInMs / 4) * this.random(),
    );
  }

  private onError(code: string): void {
    switch (code) {
      case 'unavailable':
      case 'rate_limited':
        if (this.joining) {
          this.joining = false;
          this.budget.giveBack();
          this.later(() => this.join(), 700);
        }
        return;
      case 'already_queued':
      case 'party_queued':
        // The gateway died between creating the ticket and answering, or the party's ticket is live: the resume will tell.
        if (this.joining) this.joining = false;
        return;
      case 'not_leader':
        if (this.joining) {
          this.joining = false;
          this.budget.giveBack();
        }
        return;
      case 'already_in_party':
      case 'party_not_found':
      case 'party_full':
      case 'not_in_party':
        this.later(() => this.ensureParty(), PARTY_RETRY_MS);
    }
  }

  private ended(ticketId: string): void {
    if (this.ticketId === ticketId) this.ticketId = null;
    this.pendingRoom = null;
    this.later(() => this.join(), THINK_MS);
  }

  stop(): void {
    this.stopped = true;
    this.client?.close();
  }
}
