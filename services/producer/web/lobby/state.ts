// The lobby's state and everything that changes it: one pure `update(state, event, now)`, which
// returns the next state and the effects the shell (main.ts) carries out. No DOM, no timers,
// no sockets here, so every step of the lobby is tested as data (test/unit/lobby-state.test.ts).
import type { FoundFrame, HelloFrame, Party, Room, ServerFrame } from '../../../../packages/client/src/wire/index.js';
import { CLOSE_TEXT, ERROR_TEXT, LEFT_TEXT, REQUEUED_TEXT } from './words.js';

/** `found`: a room waits for this player's accept (v1.1 ready check). */
export type Phase = 'signin' | 'connecting' | 'lobby' | 'searching' | 'found' | 'room';
/** `replaced`: closed with 4000 (another tab of this player took over); nothing reconnects until the player says so. */
export type Connection = 'offline' | 'connecting' | 'online' | 'replaced';
export type Tone = 'error' | 'warn' | 'info';
/** What the alert's button does, if it has one. */
export type AlertAction = 'play-here' | 'retry';
export interface Alert {
  text: string;
  tone: Tone;
  action?: AlertAction;
}
/** What `GET /readyz` said after a socket closed before it opened. */
export type Health = 'ready' | 'starting' | 'down';
export interface DemoPlayer {
  id: string;
  name: string;
  rating: number;
  token: string;
}
export interface Choice {
  mode?: string;
  region?: string;
}
export interface Ticket {
  ticketId: string;
  mode: string;
  region: string;
  rating: number;
}
/** The latest `searching` figures; the clock runs on from `receivedAt` between frames. */
export interface Search {
  waitedMs: number;
  window: number | undefined;
  receivedAt: number;
}
/** Why the connection is down and when the client tries again (null: it is trying now). */
export interface Reconnecting {
  reason: string | null;
  at: number | null;
  dismissed: boolean;
}
/** v1.1 ready check: the room proposed to this player, until it forms or falls through. */
export interface ReadyCheck {
  roomId: string;
  ticketId: string;
  expiresAt: number;
  expiresInMs: number;
  players: FoundFrame['players'];
  accepted: number;
  total: number;
  answered: Answer | null;
}
export type Answer = 'accept' | 'decline';
/** v1.1 parties: what the player asked of their party, until its `party` frame (or an error) answers. */
export type PartyAction = 'create' | 'join' | 'leave' | 'kick';
/** v1.1 ratings: what the last result did to this player's rating, read off the dashboard's figures. */
export interface RatingChange {
  roomId: string;
  mode: string;
  before: number;
  after: number;
}
export type FocusTarget =
  'signin-title' | 'find' | 'searching-title' | 'accept' | 'room-title' | 'connecting-title' | 'token-input' | 'party-code' | 'party-copy';

export interface State {
  now: number;
  phase: Phase;
  token: string | null;
  /** A `hello` came with this token: a socket refused later is an outage, not a wrong token. */
  accepted: boolean;
  /** Refusals in a row with the gateway up, after `accepted` (a revoked token, or a restart's race). */
  refusals: number;
  player: HelloFrame['player'] | null;
  modes: string[];
  regions: string[];
  choice: Choice;
  demoPlayers: DemoPlayer[];
  connection: Connection;
  /** The current socket opened: a close before that asks whether the token or the server is at fault. */
  opened: boolean;
  /** A connection was lost since the last `hello` ("Reconnected." is said on the next). */
  dropped: boolean;
  reconnecting: Reconnecting | null;
  ticket: Ticket | null;
  search: Search | null;
  room: Room | null;
  /** After a reconnect while searching: the ticket whose `queued` should come again. */
  awaitingResume: string | null;
  pending: 'join' | 'leave' | null;
  alert: Alert | null;
  tokenError: string | null;
  /** v1.1 parties: the player's party, from `party` frames. */
  party: Party | null;
  partyPending: PartyAction | null;
  /** The gateway answered a party request `unknown_type`: no mode has parties on, so the panel hides. */
  partiesOff: boolean;
  /** When the party code was last copied (the button says so for a moment); null: not lately. */
  copiedAt: number | null;
  /** v1.1 ratings: the player's rating per mode, from `hello.player.ratings`, solo `queued` and results. */
  ratings: Record<string, number>;
  /** The latest result's change of this player's rating; `watching`: the room whose result is awaited. */
  ratingChange: RatingChange | null;
  watching: string | null;
  /** v1.1 ready check: the proposed room, from `found` / `ready` / `requeued`. */
  readyCheck: ReadyCheck | null;
}

export type Effect =
  /** (Re)open the connection with `state.token`, closing any other. */
  | { type: 'connect' }
  | { type: 'disconnect' }
  | { type: 'join'; mode: string; region: string }
  | { type: 'leave' }
  /** v1.1 ready check: `accept` or `decline` the proposed room. */
  | { type: 'answer'; answer: Answer; roomId: string }
  /** v1.1 parties, through the SDK's createParty / joinParty / leaveParty / kickFromParty. */
  | { type: 'party-create' }
  | { type: 'party-join'; code: string }
  | { type: 'party-leave' }
  | { type: 'party-kick'; playerId: string }
  /** Put `text` on the clipboard; the outcome comes back as `copied`. */
  | { type: 'copy'; text: string }
  /** Look for this player's rating change from the room's result; it comes back as `rating-result`. */
  | { type: 'watch-result'; roomId: string; playerId: string }
  /** Ask `GET /readyz`; its answer comes back as `probed`. */
  | { type: 'probe' }
  | { type: 'store-token'; token: string | null }
  | { type: 'store-choice'; choice: Choice }
  /** Come back with `resume-expired` after `afterMs`. */
  | { type: 'resume-check'; ticketId: string; afterMs: number }
  | { type: 'focus'; target: FocusTarget }
  | { type: 'announce'; text: string };

export type Event =
  | { type: 'boot'; token: string | null; choice: Choice }
  | { type: 'demo-players'; players: DemoPlayer[] }
  | { type: 'submit-token'; token: string }
  | { type: 'edit-token' }
  | { type: 'sign-out' }
  | { type: 'find'; mode: string; region: string }
  | { type: 'cancel' }
  | { type: 'answer'; answer: Answer }
  | { type: 'party-create' }
  | { type: 'party-join'; code: string }
  | { type: 'party-leave' }
  | { type: 'party-kick'; playerId: string }
  | { type: 'copy-code' }
  | { type: 'copied'; ok: boolean }
  /** The result of the room watched: this player's rating before and after it. */
  | { type: 'rating-result'; roomId: string; mode: string; before: number; after: number }
  | { type: 'again' }
  | { type: 'to-lobby' }
  | { type: 'retry-now' }
  | { type: 'play-here' }
  | { type: 'dismiss' }
  | { type: 'open' }
  | { type: 'close'; code: number; reconnectInMs?: number }
  | { type: 'probed'; health: Health }
  | { type: 'frame'; frame: ServerFrame }
  /** A request got no answer in time (the SDK's `timeout`). */
  | { type: 'no-answer' }
  | { type: 'resume-expired'; ticketId: string }
  | { type: 'tick' };

/** How long after a reconnect the server has to resend a live ticket's `queued`. */
export const RESUME_GRACE_MS = 4000;
/** How long "Copied" shows on the party code's button. */
export const COPIED_MS = 2000;
/** A party code: 6 characters of the contract's alphabet (no 0, O, 1, I). */
const CODE = /^[A-HJ-NP-Z2-9]{6}$/;

const FOCUS: Record<Phase, FocusTarget> = {
  signin: 'signin-title',
  lobby: 'find',
  searching: 'searching-title',
  found: 'accept',
  room: 'room-title',
  connecting: 'connecting-title',
};

export function initialState(now: number): State {
  return {
    now,
    phase: 'signin',
    token: null,
    accepted: false,
    refusals: 0,
    player: null,
    modes: [],
    regions: [],
    choice: {},
    demoPlayers: [],
    connection: 'offline',
    opened: false,
    dropped: false,
    reconnecting: null,
    ticket: null,
    search: null,
    room: null,
    awaitingResume: null,
    pending: null,
    alert: null,
    tokenError: null,
    party: null,
    partyPending: null,
    partiesOff: false,
    copiedAt: null,
    ratings: {},
    ratingChange: null,
    watching: null,
    readyCheck: null,
  };
}

interface Step {
  state: State;
  effects: Effect[];
}

/**
 * The one place the lobby changes. A change of phase moves the focus to the new view's
 * heading (or its main button), unless the step chose a focus itself or the page just loaded.
 */
export function update(previous: State, event: Event, now: number): Step {
  const step = reduce({ ...previous, now }, event);
  const focused = step.effects.some((effect) => effect.type === 'focus');
  if (step.state.phase !== previous.phase && !focused && event.type !== 'boot') step.effects.push({ type: 'focus', target: FOCUS[step.state.phase] });
  return step;
}

function reduce(state: State, event: Event): Step {
  switch (event.type) {
    case 'boot':
      state = { ...state, choice: event.choice };
      return event.token ? connecting({ ...state, token: event.token }) : { state, effects: [] };
    case 'demo-players':
      return { state: { ...state, demoPlayers: event.players }, effects: [] };
    case 'submit-token': {
      const token = event.token.trim();
      if (!token) return { state: { ...state, tokenError: 'Enter your player token.' }, effects: [{ type: 'focus', target: 'token-input' }] };
      return connecting({ ...state, token, accepted: false, refusals: 0, player: null, tokenError: null, alert: null, reconnecting: null });
    }
    case 'edit-token':
      return { state: { ...state, tokenError: null }, effects: [] };
    case 'sign-out':
      return signedOut(state);
    case 'find':
      return join(state, event.mode, event.region);
    case 'again':
      return state.room ? join(state, state.room.mode, state.room.region) : { state, effects: [] };
    case 'cancel':
      if (state.connection !== 'online') return notConnected(state);
      return { state: { ...state, pending: 'leave' }, effects: [{ type: 'leave' }] };
    case 'answer': {
      const check = state.readyCheck;
      if (!check || check.answered || state.phase !== 'found') return { state, effects: [] };
      if (state.connection !== 'online') return notConnected(state);
      return {
        state: { ...state, readyCheck: { ...check, answered: event.answer } },
        effects: [{ type: 'answer', answer: event.answer, roomId: check.roomId }],
      };
    }
    case 'party-create':
    case 'party-leave':
      return partyRequest(state, event.type === 'party-create' ? 'create' : 'leave', { type: event.type });
    case 'party-join': {
      const code = event.code.trim().toUpperCase();
      if (!CODE.test(code))
        return {
          state: { ...state, alert: { text: 'A party code is 6 letters and digits, like K7M2QX.', tone: 'warn' } },
          effects: [{ type: 'focus', target: 'party-code' }],
        };
      return partyRequest(state, 'join', { type: 'party-join', code });
    }
    case 'party-kick':
      return partyRequest(state, 'kick', { type: 'party-kick', playerId: event.playerId });
    case 'copy-code':
      return state.party ? { state, effects: [{ type: 'copy', text: state.party.code }] } : { state, effects: [] };
    case 'copied':
      if (event.ok) return { state: { ...state, copiedAt: state.now }, effects: [{ type: 'announce', text: 'Party code copied.' }] };
      return { state: { ...state, alert: { text: "Couldn't copy the code here. Select it and copy it yourself.", tone: 'warn' } }, effects: [] };
    case 'rating-result': {
      if (event.roomId !== state.watching) return { state, effects: [] };
      const ratingChange = { roomId: event.roomId, mode: event.mode, before: event.before, after: event.after };
      return {
        state: { ...state, watching: null, ratingChange, ratings: { ...state.ratings, [event.mode]: event.after } },
        effects: [{ type: 'announce', text: `Your ${event.mode} rating is now ${event.after} (${signed(event.after - event.before)}).` }],
      };
    }
    case 'to-lobby':
      return { state: { ...state, room: null, phase: 'lobby' }, effects: [] };
    case 'retry-now':
      return connecting({ ...state, reconnecting: state.reconnecting && { ...state.reconnecting, at: null, dismissed: false } });
    case 'play-here':
      return connecting({ ...state, alert: null });
    case 'dismiss':
      return { state: { ...state, alert: null, reconnecting: state.reconnecting && { ...state.reconnecting, dismissed: true } }, effects: [] };
    case 'open':
      if (!state.token) return { state, effects: [] };
      return { state: { ...state, opened: true, connection: 'online', refusals: 0, reconnecting: null }, effects: [] };
    case 'close':
      return closed(state, event.code, event.reconnectInMs);
    case 'probed':
      return probed(state, event.health);
    case 'frame':
      return onFrame(state, event.frame);
    case 'no-answer':
      return { state: { ...state, pending: null, alert: { text: "The server didn't answer in time. Please try again.", tone: 'error' } }, effects: [] };
    case 'resume-expired':
      if (state.awaitingResume !== event.ticketId || (state.phase !== 'searching' && state.phase !== 'found')) return { state, effects: [] };
      return {
        state: {
          ...state,
          awaitingResume: null,
          ticket: null,
          search: null,
          readyCheck: null,
          phase: 'lobby',
          alert: { text: 'Your search ended while you were away. Start a new one when you are ready.', tone: 'info' },
        },
        effects: [],
      };
    case 'tick':
      // "Copied" has said its piece: the button's own words again, and the clock may rest.
      if (state.copiedAt !== null && state.now - state.copiedAt >= COPIED_MS) return { state: { ...state, copiedAt: null }, effects: [] };
      return { state, effects: [] };
  }
}

/** Opening a connection: the view stays where it is, except that sign-in gives way to "Connecting…". */
function connecting(state: State): Step {
  if (!state.token) return { state: { ...state, phase: 'signin' }, effects: [] };
  const phase = state.phase === 'signin' ? 'connecting' : state.phase;
  return { state: { ...state, phase, connection: 'connecting', opened: false, pending: null }, effects: [{ type: 'connect' }] };
}

/** Signing out forgets the session (every field back to its initial value); what the page learned stays. */
function signedOut(state: State): Step {
  const { now, modes, regions, choice, demoPlayers, tokenError, partiesOff } = state;
  return {
    state: { ...initialState(now), modes, regions, choice, demoPlayers, tokenError, partiesOff },
    effects: [{ type: 'disconnect' }, { type: 'store-token', token: null }],
  };
}

function partyRequest(state: State, action: PartyAction, effect: Effect): Step {
  if (state.connection !== 'online') return notConnected(state);
  if (state.partyPending) return { state, effects: [] };
  return { state: { ...state, partyPending: action, alert: null }, effects: [effect] };
}

/** What changed in the party, in words, for the screen reader (and, when it is news, the alert). */
function partyNews(state: State, before: Party | null, after: Party | null): { text: string; alert: boolean } | null {
  const me = state.player?.id;
  if (!before && after)
    return { text: after.leader === me ? `Party created. Its code is ${after.code.split('').join(' ')}.` : 'You joined the party.', alert: false };
  if (before && !after) {
    if (state.partyPending === 'leave') return { text: 'You left the party.', alert: false };
    return { text: 'You were removed from the party.', alert: true };
  }
  if (!before || !after) return null;
  const joined = after.members.filter((member) => !before.members.some((old) => old.id === member.id));
  const gone = before.members.filter((member) => !after.members.some((now) => now.id === member.id));
  const parts = [...joined.map((member) => `${member.name} joined the party.`), ...gone.map((member) => `${member.name} left the party.`)];
  if (before.leader !== after.leader) {
    const leader = after.members.find((member) => member.id === after.leader);
    parts.push(after.leader === me ? 'You lead the party now.' : `${leader?.name ?? 'Someone else'} leads the party now.`);
  }
  return parts.length ? { text: parts.join(' '), alert: false } : null;
}

function notConnected(state: State): Step {
  return { state: { ...state, alert: { text: "You're not connected right now. We'll reconnect automatically.", tone: 'warn' } }, effects: [] };
}

function join(state: State, mode: string, region: string): Step {
  const choice = { mode, region };
  if (state.connection !== 'online') return { ...notConnected({ ...state, choice }), effects: [{ type: 'store-choice', choice }] };
  return {
    state: { ...state, choice, alert: null, pending: 'join' },
    effects: [
      { type: 'store-choice', choice },
      { type: 'join', mode, region },
    ],
  };
}

function closed(state: State, code: number, reconnectInMs: number | undefined): Step {
  if (!state.token) return { state, effects: [] };
  const opened = state.opened;
  // A live ticket keeps waiting on the server while we are away; the view and its clock stay as they are.
  state = { ...state, opened: false, pending: null };
  if (code === 4000)
    return {
      state: { ...state, connection: 'replaced', reconnecting: null, alert: { text: CLOSE_TEXT[4000]!, tone: 'warn', action: 'play-here' } },
      effects: [],
    };
  const at = reconnectInMs === undefined ? null : state.now + reconnectInMs;
  const connection = reconnectInMs === undefined ? 'offline' : 'connecting';
  if (!opened) {
    // The browser hides the upgrade's HTTP status: /readyz tells a wrong token from an outage.
    // The reason of an earlier drop stays: "the server is restarting" says more than "can't reach it".
    return {
      state: { ...state, connection, reconnecting: { reason: state.reconnecting?.reason ?? null, at, dismissed: state.reconnecting?.dismissed ?? false } },
      effects: [{ type: 'probe' }],
    };
  }
  const reason = CLOSE_TEXT[code] ?? 'The connection to the server was lost.';
  return { state: { ...state, connection, dropped: true, reconnecting: { reason, at, dismissed: false } }, effects: [] };
}

function probed(state: State, health: Health): Step {
  // Answers for a socket of a signed-out or already reconnected player come too late to matter.
  if (!state.token || state.connection === 'online' || state.connection === 'replaced') return { state, effects: [] };
  if (health === 'ready' && (!state.accepted || state.refusals >= 1)) {
    const demo = state.demoPlayers.length ? ', or pick a demo player' : '';
    const text = state.accepted ? 'Your token is no longer accepted. Sign in again.' : `That token wasn't recognised. Check it and try again${demo}.`;
    const out = signedOut(state);
    return { state: { ...out.state, tokenError: text }, effects: [...out.effects, { type: 'focus', target: 'token-input' }] };
  }
  const reason =
    health === 'starting'
      ? 'Matchmaking is starting up or partly unavailable.'
      : health === 'down'
        ? "Can't reach the matchmaking server."
        : 'The server refused the connection.';
  const reconnecting = state.reconnecting ?? { reason: null, at: null, dismissed: false };
  return {
    state: { ...state, refusals: health === 'ready' ? state.refusals + 1 : 0, reconnecting: { ...reconnecting, reason: reconnecting.reason ?? reason } },
    effects: [],
  };
}

function onFrame(state: State, frame: ServerFrame): Step {
  switch (frame.type) {
    case 'hello': {
      const effects: Effect[] = [{ type: 'store-token', token: state.token }];
      if (state.dropped) effects.push({ type: 'announce', text: 'Reconnected.' });
      let next: State = {
        ...state,
        accepted: true,
        refusals: 0,
        player: frame.player,
        ratings: Object.fromEntries(frame.modes.map((mode) => [mode, frame.player.ratings?.[mode] ?? frame.player.rating])),
        modes: frame.modes,
        regions: frame.regions,
        connection: 'online',
        dropped: false,
        reconnecting: null,
        alert: null,
      };
      if ((state.phase === 'searching' || state.phase === 'found') && state.ticket) {
        // The server answers a live ticket with `queued` (or `matched`, if a room formed meanwhile).
        next = { ...next, awaitingResume: state.ticket.ticketId };
        effects.push({ type: 'resume-check', ticketId: state.ticket.ticketId, afterMs: RESUME_GRACE_MS });
      } else if (state.phase === 'signin' || state.phase === 'connecting') {
        next = { ...next, phase: 'lobby' };
        effects.push({ type: 'announce', text: `Signed in as ${frame.player.name}, rating ${frame.player.rating}.` });
      }
      return { state: next, effects };
    }
    case 'queued': {
      const resumed = state.ticket?.ticketId === frame.ticketId;
      const ticket = { ticketId: frame.ticketId, mode: frame.mode, region: frame.region, rating: frame.rating };
      const search = resumed && state.search ? state.search : { waitedMs: 0, window: undefined, receivedAt: state.now };
      // After a reconnect a room still waiting for us comes again as `found`, just after this.
      const phase = resumed && state.phase === 'found' ? 'found' : 'searching';
      // A solo ticket carries the player's current rating in its mode; a party's, the party's.
      const ratings = state.party ? state.ratings : { ...state.ratings, [frame.mode]: frame.rating };
      return {
        state: {
          ...state,
          awaitingResume: null,
          pending: null,
          ticket,
          search,
          ratings,
          room: null,
          phase,
          readyCheck: phase === 'found' ? state.readyCheck : null,
        },
        effects: [
          {
            type: 'announce',
            text: resumed ? 'Still searching; your place in the queue was kept.' : `Searching for a ${frame.mode} match in ${frame.region}.`,
          },
        ],
      };
    }
    case 'searching': {
      if (state.ticket && state.ticket.ticketId !== frame.ticketId) return { state, effects: [] };
      const search = { waitedMs: frame.waitedMs, window: frame.window, receivedAt: state.now };
      // A room waiting for answers pauses the search; a late figure does not hide the question.
      return { state: { ...state, search, phase: state.ticket && state.phase !== 'found' ? 'searching' : state.phase }, effects: [] };
    }
    case 'matched': {
      const { room } = frame;
      const effects: Effect[] = [{ type: 'announce', text: `Match found: ${room.players.length} players in ${room.mode}, ${room.region}.` }];
      // The game server reports the result later; the page looks for what it did to this player's rating.
      const watch = state.player && room.players.some((player) => player.playerId === state.player!.id) && state.room?.id !== room.id;
      if (watch) effects.push({ type: 'watch-result', roomId: room.id, playerId: state.player!.id });
      return {
        state: {
          ...state,
          awaitingResume: null,
          pending: null,
          room,
          ticket: null,
          search: null,
          readyCheck: null,
          alert: null,
          phase: 'room',
          ...(watch ? { watching: room.id, ratingChange: null } : {}),
        },
        effects,
      };
    }
    case 'left': {
      const text = LEFT_TEXT[frame.reason] ?? 'Your search ended.';
      const next: State = { ...state, awaitingResume: null, pending: null, ticket: null, search: null, readyCheck: null, phase: 'lobby' };
      if (frame.reason === 'cancelled') return { state: { ...next, alert: null }, effects: [{ type: 'announce', text }] };
      // Declining was the player's own choice: worth saying, not a warning.
      return { state: { ...next, alert: { text, tone: frame.reason === 'declined' ? 'info' : 'warn' } }, effects: [] };
    }
    case 'error': {
      const text =
        frame.code === 'cooling_down'
          ? `You declined a match a moment ago. You can search again in ${Math.max(1, Math.ceil(frame.retryInMs / 1000))} s.`
          : (ERROR_TEXT[frame.code] ?? 'Something went wrong. Please try again.');
      const wasPending = state.pending;
      const partyAsked = state.partyPending;
      let next: State = { ...state, pending: null, partyPending: null };
      // v1: a gateway with no party mode does not know the party frames; the panel goes away.
      if (frame.code === 'unknown_type' && partyAsked)
        return { state: { ...next, partiesOff: true, alert: { text: 'Parties are not turned on for this server.', tone: 'info' } }, effects: [] };
      if (frame.code === 'not_queued' && state.phase === 'searching') next = { ...next, ticket: null, search: null, phase: 'lobby' };
      // Our view fell behind the server: a new connection makes it resend `queued` for the live ticket.
      if (frame.code === 'already_queued' && state.phase !== 'searching') return connecting(next);
      next = {
        ...next,
        alert: { text, tone: frame.code === 'rate_limited' || frame.code === 'already_queued' || frame.code === 'cooling_down' ? 'warn' : 'error' },
      };
      if (partyAsked === 'join') return { state: next, effects: [{ type: 'focus', target: 'party-code' }] };
      return { state: next, effects: wasPending === 'join' && next.phase === 'lobby' ? [{ type: 'focus', target: 'find' }] : [] };
    }
    // v1.1: what the gateway sends once parties and the ready check are turned on.
    case 'party': {
      const news = partyNews(state, state.party, frame.party);
      const next: State = { ...state, party: frame.party, partyPending: null, partiesOff: false, copiedAt: frame.party ? state.copiedAt : null };
      const effects: Effect[] = news ? [{ type: 'announce', text: news.text }] : [];
      if (state.partyPending === 'create' && frame.party) effects.push({ type: 'focus', target: 'party-copy' });
      return { state: news?.alert ? { ...next, alert: { text: news.text, tone: 'warn' } } : next, effects };
    }
    case 'found': {
      // Again after a reconnect, with the time left: what we answered and the count stay.
      const same = state.readyCheck?.roomId === frame.roomId ? state.readyCheck : null;
      const readyCheck: ReadyCheck = {
        roomId: frame.roomId,
        ticketId: frame.ticketId,
        expiresAt: state.now + frame.expiresInMs,
        expiresInMs: same?.expiresInMs ?? frame.expiresInMs,
        players: frame.players,
        accepted: same?.accepted ?? 0,
        total: frame.players.length,
        answered: same?.answered ?? null,
      };
      const effects: Effect[] = same ? [] : [{ type: 'announce', text: `Match found. Accept within ${Math.ceil(frame.expiresInMs / 1000)} seconds.` }];
      return { state: { ...state, awaitingResume: null, pending: null, readyCheck, phase: 'found' }, effects };
    }
    case 'ready':
      if (state.readyCheck?.roomId !== frame.roomId) return { state, effects: [] };
      return { state: { ...state, readyCheck: { ...state.readyCheck, accepted: frame.accepted, total: frame.total } }, effects: [] };
    case 'requeued':
      if (state.ticket && state.ticket.ticketId !== frame.ticketId) return { state, effects: [] };
      return {
        state: { ...state, readyCheck: null, phase: state.ticket ? 'searching' : 'lobby', alert: { text: REQUEUED_TEXT[frame.reason], tone: 'info' } },
        effects: [{ type: 'announce', text: REQUEUED_TEXT[frame.reason] }],
      };
  }
}

/** The words of the reconnect notice, counting down to the next attempt; null while connected. */
export function reconnectText(state: State): string | null {
  const reconnecting = state.reconnecting;
  if (!reconnecting?.reason || state.connection === 'online' || state.connection === 'replaced') return null;
  const seconds = reconnecting.at === null ? 0 : Math.max(0, Math.ceil((reconnecting.at - state.now) / 1000));
  const keep = state.phase === 'searching' ? ' Your place in the queue is kept.' : '';
  return `${reconnecting.reason} Reconnecting${seconds > 0 ? ` in ${seconds} s` : ''}…${keep}`;
}

/** The alert to show: a reconnect notice outside the "Connecting…" view, else the latest message. */
export function visibleAlert(state: State): Alert | null {
  const text = reconnectText(state);
  if (text && state.phase !== 'connecting' && !state.reconnecting?.dismissed) return { text, tone: 'warn', action: 'retry' };
  return state.alert;
}

/** Time waited so far: the latest `searching` figure plus the time since it came. */
export function waitedMs(state: State): number {
  const search = state.search;
  return search ? search.waitedMs + Math.max(0, state.now - search.receivedAt) : 0;
}

/** The rating window as a player reads it, and where it sits on a bar of ±1000. */
export function windowView(state: State): { figure: string; range: string; left: number; width: number } {
  const window = state.search?.window;
  if (window === undefined) return { figure: '—', range: 'starting…', left: 50, width: 0 };
  const rounded = Math.round(window);
  const rating = state.ticket?.rating ?? state.player?.rating ?? 0;
  const width = Math.min(100, Math.max(2, (rounded / 1000) * 100));
  return {
    figure: `±${rounded}`,
    range: `players rated ${Math.max(0, Math.round(rating - rounded))}–${Math.round(rating + rounded)}`,
    left: 50 - width / 2,
    width,
  };
}

/** The three buttons that talk to the server: whether they work now, and their words. */
export function controls(state: State): Record<'find' | 'cancel' | 'again' | 'accept' | 'decline', { disabled: boolean; text: string }> {
  const online = state.connection === 'online';
  const joining = state.pending === 'join';
  const answered = state.readyCheck?.answered ?? null;
  // In a party only the leader's join queues (everyone); the others wait for it.
  const follower = state.party !== null && state.party.leader !== state.player?.id;
  return {
    // After a 4000 nothing reconnects by itself: say so instead of promising a connection.
    find: {
      disabled: !online || joining || follower,
      text: joining
        ? 'Joining…'
        : !online
          ? state.connection === 'replaced'
            ? 'Not connected'
            : 'Waiting for connection…'
          : follower
            ? 'The leader starts the search'
            : state.party && state.party.members.length > 1
              ? `Find match for ${state.party.members.length}`
              : 'Find match',
    },
    cancel: { disabled: !online || state.pending === 'leave', text: state.pending === 'leave' ? 'Cancelling…' : 'Cancel' },
    again: { disabled: !online || joining || follower, text: joining ? 'Joining…' : follower ? 'The leader starts the next search' : 'Play again' },
    accept: { disabled: !online || answered !== null, text: answered === 'accept' ? 'Accepted' : 'Accept' },
    decline: { disabled: !online || answered !== null, text: answered === 'decline' ? 'Declining…' : 'Decline' },
  };
}

/** The connection pill. */
export function connectionView(state: State): { kind: 'offline' | 'connecting' | 'online'; text: string } {
  switch (state.connection) {
    case 'online':
      return { kind: 'online', text: 'Connected' };
    case 'connecting':
      return { kind: 'connecting', text: state.reconnecting ? 'Reconnecting…' : 'Connecting…' };
    case 'replaced':
      return { kind: 'offline', text: 'Disconnected' };
    case 'offline':
      return { kind: 'offline', text: state.token ? 'Disconnected' : 'Not connected' };
  }
}

/** The "Connecting…" view's line. */
export function connectingText(state: State): string {
  if (state.connection === 'replaced') return 'Disconnected: playing in another tab.';
  return reconnectText(state) ?? 'Reaching the matchmaking server.';
}

/** The ready check as the player reads it: time left (and its share of the whole), who is in, the count. */
export function readyView(state: State): { seconds: number; left: number; count: string; waiting: boolean } | null {
  const check = state.readyCheck;
  if (!check) return null;
  const leftMs = Math.max(0, check.expiresAt - state.now);
  const waiting = check.answered === 'accept';
  return {
    seconds: Math.ceil(leftMs / 1000),
    left: check.expiresInMs > 0 ? Math.min(100, (leftMs / check.expiresInMs) * 100) : 0,
    count: `${check.accepted} of ${check.total} accepted${waiting ? '; waiting for the others' : ''}`,
    waiting,
  };
}

export interface PartyMemberView {
  id: string;
  name: string;
  rating: number;
  leader: boolean;
  me: boolean;
  /** The leader may remove this member. */
  kickable: boolean;
}

/** The party panel: not in one (create, or join by code), or the party with its code and members. */
export function partyView(
  state: State,
):
  | { kind: 'hidden' }
  | { kind: 'none'; busy: boolean; createText: string; joinText: string }
  | { kind: 'party'; code: string; members: PartyMemberView[]; leading: boolean; note: string; copyText: string; busy: boolean; leaveText: string } {
  if (state.partiesOff) return { kind: 'hidden' };
  const busy = state.connection !== 'online' || state.partyPending !== null;
  const party = state.party;
  if (!party)
    return {
      kind: 'none',
      busy,
      createText: state.partyPending === 'create' ? 'Creating…' : 'Create a party',
      joinText: state.partyPending === 'join' ? 'Joining…' : 'Join',
    };
  const me = state.player?.id;
  const leading = party.leader === me;
  const leader = party.members.find((member) => member.id === party.leader);
  const alone = party.members.length === 1;
  const note = leading
    ? alone
      ? 'Share the code with your friends. When they are in, Find match queues the whole party.'
      : 'You lead: Find match queues the whole party into one room, on one team.'
    : `${leader?.name ?? 'The leader'} leads: their Find match queues everyone, you included.`;
  return {
    kind: 'party',
    code: party.code,
    leading,
    note,
    busy,
    copyText: state.copiedAt !== null && state.now - state.copiedAt < COPIED_MS ? 'Copied' : 'Copy code',
    leaveText: state.partyPending === 'leave' ? 'Leaving…' : 'Leave party',
    members: party.members.map((member) => ({
      id: member.id,
      name: member.name,
      rating: member.rating,
      leader: member.id === party.leader,
      me: member.id === me,
      kickable: leading && member.id !== me,
    })),
  };
}

/** The player's rating per mode, the mode just played marked with the latest result's change. */
export function ratingsView(state: State): { mode: string; rating: number; change: number | null }[] {
  return state.modes.map((mode) => {
    const change = state.ratingChange?.mode === mode ? state.ratingChange.after - state.ratingChange.before : null;
    return { mode, rating: state.ratings[mode] ?? state.player?.rating ?? 0, change };
  });
}

/** The room view's rating line: waiting for the game's result, or what it did. */
export function resultText(state: State): string | null {
  const room = state.room;
  if (!room) return null;
  const change = state.ratingChange;
  if (change?.roomId === room.id) {
    return `Your ${change.mode} rating: ${change.before} → ${change.after} (${signed(change.after - change.before)})`;
  }
  if (state.watching === room.id)
    return `Your ${room.mode} rating (${state.ratings[room.mode] ?? state.player?.rating ?? '—'}) changes when the game server reports the result.`;
  return null;
}

/** "+12" / "−8" / "±0". */
export function signed(value: number): string {
  return value > 0 ? `+${value}` : value < 0 ? `−${-value}` : '±0';
}
