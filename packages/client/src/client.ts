import { reconnectDelay, type ReconnectOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import { MatchqConnectionError, MatchqError, type ConnectionErrorReason } from './errors.js';
import { findWebSocket, isOpen, watchUpgradeStatus, type WebSocketConstructor, type WebSocketLike } from './socket.js';
import {
  CLOSE_REPLACED,
  encodeClientFrame,
  parseServerFrame,
  readServerFrame,
  SEARCHING_PREFIX,
  WS_PATH,
  type ClientFrame,
  type HelloFrame,
  type LeftFrame,
  type PartyFrame,
  type QueuedFrame,
  type ReadyFrame,
  type RequestId,
  type ServerFrame,
  type ServerFrameOf,
  type ServerFrameType,
} from './wire/index.js';

export interface ConnectOptions {
  /** The WebSocket class: defaults to the global one, else the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** Reconnect after a dropped socket (default), or `false` never to. */
  reconnect?: ReconnectOptions | false;
  /** How long a request (join, leave) waits for its answer, ms. Defaults to 10 000. */
  requestTimeoutMs?: number;
  /**
   * Check every server frame against its schema (the default: a frame that breaks it is
   * `invalid`, not delivered). `false` trusts the server: frames are only JSON-parsed, which
   * costs a client with thousands of sockets (a load generator) a third to half less per frame.
   */
  validate?: boolean;
}

/** Every server frame by its type, and the connection's own events. */
export type ClientEvents = { [T in ServerFrameType]: ServerFrameOf<T> } & {
  /** The socket opened (the `hello` follows). */
  open: { attempt: number };
  /**
   * The socket closed; `reconnectInMs` is set when the client will try again, `status` when
   * the gateway refused the upgrade with that HTTP status (Node only: a browser never tells).
   */
  close: { code: number; reason: string; reconnectInMs?: number; status?: number };
  /** A frame that is not JSON or breaks its schema (frames of unknown types are ignored). */
  invalid: { text: string; message: string };
  /** A frame of a type this client does not know (a newer server's): ignored, as the contract asks; told for logs and tests. */
  unknown: { type: string; text: string };
  /** Every server frame delivered, after its own event: for clients that record or log them all. */
  frame: ServerFrame;
  /**
   * A `matched` or `left` for a ticket whose end this client already heard: a gateway that died
   * between writing it and recording it as told leaves it for the reconnect, which tells it
   * again. It is not delivered again (no `matched`/`left`/`frame` event); told here for logs.
   */
  retold: ServerFrameOf<'matched'> | ServerFrameOf<'left'>;
};

/** Ended tickets a client remembers, to drop a repeat of their end. */
const ENDED_TICKETS_KEPT = 16;

/** The live ticket as the server last told it; its `queued` comes again on every reconnect. */
export type Ticket = Omit<QueuedFrame, 'type' | 'id'>;

interface Pending {
  replies: readonly ServerFrameType[];
  resolve: (frame: ServerFrame) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * One player's connection to matchq. Reconnects by itself with jittered backoff; the server
 * resumes the player on any gateway (the live ticket's `queued` again, or the outcome formed
 * meanwhile), and the client keeps `ticket` from what it is told.
 */
export class MatchqClient extends Emitter<ClientEvents> {
  /** The signed-in player, modes and regions, from the latest `hello`. */
  hello: HelloFrame | undefined;
  ticket: Ticket | null = null;
  private socket: WebSocketLike | undefined;
  private readonly pending = new Map<string, Pending>();
  /** The tickets whose end this client heard last (newest last), to drop a repeat. */
  private readonly ended: string[] = [];
  private nextId = 1;
  private attempt = 0;
  private stopped: MatchqConnectionError | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private helloWaiters: { resolve: (hello: HelloFrame) => void; reject: (error: Error) => void }[] = [];

  constructor(
    readonly url: string,
    private readonly options: ConnectOptions = {},
  ) {
    super();
  }

  /** Opens the first socket; `connect()` calls it. */
  start(): this {
    void this.open();
    return this;
  }

  /** Resolves with the `hello` once signed in (at once if already), rejects if the client stopped. */
  ready(): Promise<HelloFrame> {
    if (this.hello && isOpen(this.socket)) return Promise.resolve(this.hello);
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise((resolve, reject) => this.helloWaiters.push({ resolve, reject }));
  }

  /** Asks for a match; resolves with `queued` (the request is durably taken), rejects with a MatchqError. */
  async join(mode: string, region: string): Promise<QueuedFrame> {
    return (await this.request((id) => ({ type: 'join', mode, region, id }), ['queued'])) as QueuedFrame;
  }

  /** Cancels the live ticket; resolves with `left` (`cancelled`), rejects with `not_queued` if there is none. */
  async leave(): Promise<LeftFrame> {
    return (await this.request((id) => ({ type: 'leave', id }), ['left'])) as LeftFrame;
  }

  /**
   * Ready check (modes with `accept`): accepts the room a `found` proposed. Resolves with
   * `ready` (how many of the room accepted so far); `matched` follows once all have.
   * Rejects with `not_pending` for a room no longer waiting on you.
   */
  async accept(roomId: string): Promise<ReadyFrame> {
    return (await this.request((id) => ({ type: 'accept', roomId, id }), ['ready'])) as ReadyFrame;
  }

  /** Declines the proposed room: your ticket ends, resolving with `left` (`declined`); the mode's cooldown may follow (`cooling_down`). */
  async decline(roomId: string): Promise<LeftFrame> {
    return (await this.request((id) => ({ type: 'decline', roomId, id }), ['left'])) as LeftFrame;
  }

  /** Parties (modes with `party`): creates a party you lead; resolves with its `party` frame (its `code` is what friends join with). */
  async createParty(): Promise<PartyFrame> {
    return (await this.request((id) => ({ type: 'party.create', id }), ['party'])) as PartyFrame;
  }

  /** Joins a friend's party by its code; rejects with `party_not_found`, `party_full`, `party_queued` or `already_in_party`. */
  async joinParty(code: string): Promise<PartyFrame> {
    return (await this.request((id) => ({ type: 'party.join', code, id }), ['party'])) as PartyFrame;
  }

  /** Leaves your party: resolves with `party: null`; a live party ticket ends first (`left party_changed` to every member). */
  async leaveParty(): Promise<PartyFrame> {
    return (await this.request((id) => ({ type: 'party.leave', id }), ['party'])) as PartyFrame;
  }

  /** The leader removes a member; resolves with the party as it is now. Rejects with `not_leader` for anyone else. */
  async kickFromParty(playerId: string): Promise<PartyFrame> {
    return (await this.request((id) => ({ type: 'party.kick', playerId, id }), ['party'])) as PartyFrame;
  }

  /** True while the socket is open (signed in or about to be). */
  get connected(): boolean {
    return isOpen(this.socket);
  }

  /**
   * Sends a frame as it is and returns at once: its answer, if any, comes as an event (with
   * the frame's `id`, if you gave one). For callers that match replies themselves, or send
   * thousands a second and cannot afford a promise and a timer per request (a load
   * generator). False when no socket is open: nothing was sent.
   */
  send(frame: ClientFrame): boolean {
    if (!isOpen(this.socket)) return false;
    this.socket!.send(encodeClientFrame(frame));
    return true;
  }

  /**
   * The seam every request helper is built on: sends the frame with a fresh `id`, and settles
   * with the first reply that echoes it, one of `replies` or an `error`.
   */
  async request(build: (id: RequestId) => ClientFrame, replies: readonly ServerFrameType[]): Promise<ServerFrame> {
    await this.ready();
    const id = `c${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timeoutMs = this.options.requestTimeoutMs ?? 10_000;
      const timer = setTimeout(() => this.settle(id)?.reject(new MatchqConnectionError('timeout', `no answer within ${timeoutMs} ms`)), timeoutMs);
      this.pending.set(id, { replies, resolve, reject, timer });
      this.socket!.send(encodeClientFrame(build(id)));
    });
  }

  /** Closes the connection for good: pending requests reject with `closed`. */
  close(): void {
    this.stop(new MatchqConnectionError('closed', 'the client was closed'));
    this.socket?.close(1000, 'client closed');
  }

  private async open(): Promise<void> {
    let Impl: WebSocketConstructor;
    try {
      Impl = await findWebSocket(this.options.WebSocket);
    } catch (error) {
      return this.stop(new MatchqConnectionError('disconnected', (error as Error).message));
    }
    if (this.stopped) return;
    const socket = new Impl(this.url);
    this.socket = socket;
    let status: number | undefined;
    watchUpgradeStatus(socket, (code) => {
      status = code;
    });
    socket.onopen = () => this.emit('open', { attempt: this.attempt });
    socket.onmessage = (event) => this.onText(typeof event.data === 'string' ? event.data : String(event.data));
    // Every error is followed by a close, which is where it is handled.
    socket.onerror = () => undefined;
    socket.onclose = (event) => this.onClose(socket, event.code, event.reason, status);
  }

  private onText(text: string): void {
    // The frame sent most, and one that changes nothing the client keeps: unread when nobody listens.
    if (text.startsWith(SEARCHING_PREFIX) && !this.listens('searching') && !this.listens('frame')) return;
    const parsed = this.options.validate === false ? readServerFrame(text) : parseServerFrame(text);
    if (!parsed.ok) {
      // A newer server's frame types are for newer clients, told apart; anything else is worth telling.
      if (parsed.reason === 'unknown_type') this.emit('unknown', { type: parsed.type ?? '', text });
      else this.emit('invalid', { text, message: parsed.message });
      return;
    }
    const { frame } = parsed;
    if ((frame.type === 'matched' || frame.type === 'left') && this.ended.includes(frame.ticketId)) {
      // The same end again: a gateway that died between writing it and recording it as told
      // leaves it for the reconnect, which tells it once more. Heard once is enough.
      this.emit('retold', frame);
      return;
    }
    this.track(frame);
    const id = 'id' in frame ? frame.id : undefined;
    const pending = typeof id === 'string' ? this.pending.get(id) : undefined;
    if (pending && frame.type === 'error') this.settle(id as string)!.reject(new MatchqError(frame));
    else if (pending && pending.replies.includes(frame.type)) this.settle(id as string)!.resolve(frame);
    this.emit(frame.type, frame as never);
    this.emit('frame', frame);
  }

  /** What the client knows of the player and the ticket, from the frames themselves. */
  private track(frame: ServerFrame): void {
    if (frame.type === 'hello') {
      this.hello = frame;
      this.attempt = 0;
      this.helloWaiters.splice(0).forEach((waiter) => waiter.resolve(frame));
    } else if (frame.type === 'queued') {
      this.ticket = { ticketId: frame.ticketId, mode: frame.mode, region: frame.region, rating: frame.rating };
    } else if (frame.type === 'matched' || frame.type === 'left') {
      if (this.ticket?.ticketId === frame.ticketId) this.ticket = null;
      this.ended.push(frame.ticketId);
      if (this.ended.length > ENDED_TICKETS_KEPT) this.ended.shift();
    }
  }

  private settle(id: string): Pending | undefined {
    const pending = this.pending.get(id);
    if (!pending) return undefined;
    clearTimeout(pending.timer);
    this.pending.delete(id);
    return pending;
  }

  private onClose(socket: WebSocketLike, code: number, reason: string, status: number | undefined): void {
    if (socket !== this.socket) return;
    this.failPending('disconnected', `the socket closed (${code}) before the answer`);
    let fatal: MatchqConnectionError | undefined;
    if (code === CLOSE_REPLACED) fatal = new MatchqConnectionError('replaced', 'a newer connection of this player signed in');
    else if (status === 401) fatal = new MatchqConnectionError('unauthorized', 'the gateway refused the token (HTTP 401)');
    const reconnect = this.options.reconnect;
    if (!fatal && !this.stopped && (reconnect === false || this.attempt >= (reconnect?.maxAttempts ?? Infinity))) {
      fatal = new MatchqConnectionError('disconnected', `the socket closed (${code}) and the client does not reconnect`);
    }
    const refused = status === undefined ? {} : { status };
    if (fatal || this.stopped) {
      if (fatal) this.stop(fatal);
      this.emit('close', { code, reason, ...refused });
      return;
    }
    const delayMs = reconnectDelay(this.attempt++, reconnect || undefined);
    this.emit('close', { code, reason, reconnectInMs: delayMs, ...refused });
    this.retryTimer = setTimeout(() => void this.open(), delayMs);
  }

  private failPending(reason: ConnectionErrorReason, message: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id)!.reject(new MatchqConnectionError(reason, message));
  }

  private stop(error: MatchqConnectionError): void {
    if (this.stopped) return;
    this.stopped = error;
    clearTimeout(this.retryTimer);
    this.failPending(error.reason, error.message);
    this.helloWaiters.splice(0).forEach((waiter) => waiter.reject(error));
  }
}

/** `ws://host:port` or `.../ws`, with the token as the contract wants it. */
export function socketUrl(url: string, token: string): string {
  const parsed = new URL(url);
  if (parsed.pathname === '' || parsed.pathname === '/') parsed.pathname = WS_PATH;
  parsed.searchParams.set('token', token);
  return parsed.toString();
}

/**
 * Connects a player: `url` is the gateway (`ws://localhost:8080`), `token` the player's.
 * Returns at once; `await client.ready()` for the `hello`, or just call `join`, which waits.
 */
export function connect(url: string, token: string, options: ConnectOptions = {}): MatchqClient {
  return new MatchqClient(socketUrl(url, token), options).start();
}
