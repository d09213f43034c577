// matchq lobby: the page's shell. Every input (a click, a frame, a timer) becomes one event for
// `dispatch`, which runs the pure `update` (state.ts), draws the new state (render.ts) and then
// carries out the effects it asked for. The connection is @matchq/client's.
// A namespace import, so that bundlers keep only what is used (`import { z }` drags in every locale: 450 kB).
import * as z from 'zod';
import {
  connect,
  isMatchqError,
  MatchqConnectionError,
  SERVER_FRAME_TYPES,
  type MatchqClient,
  type ServerFrame,
} from '../../../../packages/client/src/index.js';
import { element, render } from './render.js';
import { initialState, update, type Choice, type DemoPlayer, type Effect, type Event, type Health } from './state.js';

const TOKEN_KEY = 'matchq.token';
const CHOICE_KEY = 'matchq.choice';
const TICK_MS = 250;
const ANNOUNCE_DELAY_MS = 30;

let state = initialState(performance.now());
let client: MatchqClient | null = null;

function dispatch(event: Event): void {
  const step = update(state, event, performance.now());
  state = step.state;
  render(state);
  for (const effect of step.effects) run(effect);
}

function run(effect: Effect): void {
  switch (effect.type) {
    case 'connect':
      return openClient();
    case 'disconnect':
      return closeClient();
    case 'join':
      return void client?.join(effect.mode, effect.region).catch(unanswered);
    case 'leave':
      return void client?.leave().catch(unanswered);
    case 'answer':
      return void (effect.answer === 'accept' ? client?.accept(effect.roomId) : client?.decline(effect.roomId))?.catch(unanswered);
    case 'party-create':
      return void client?.createParty().catch(unanswered);
    case 'party-join':
      return void client?.joinParty(effect.code).catch(unanswered);
    case 'party-leave':
      return void client?.leaveParty().catch(unanswered);
    case 'party-kick':
      return void client?.kickFromParty(effect.playerId).catch(unanswered);
    case 'copy':
      return void copy(effect.text).then((ok) => dispatch({ type: 'copied', ok }));
    case 'watch-result':
      return watchResult(effect.roomId, effect.playerId);
    case 'probe':
      return void probe().then((health) => dispatch({ type: 'probed', health }));
    case 'store-token':
      if (effect.token) sessionStorage.setItem(TOKEN_KEY, effect.token);
      else sessionStorage.removeItem(TOKEN_KEY);
      return;
    case 'store-choice':
      return localStorage.setItem(CHOICE_KEY, JSON.stringify(effect.choice));
    case 'resume-check':
      return void setTimeout(() => dispatch({ type: 'resume-expired', ticketId: effect.ticketId }), effect.afterMs);
    case 'focus': {
      const target = element(effect.target);
      // After the frame that shows the view: a hidden element takes no focus.
      return void requestAnimationFrame(() => target.focus());
    }
    case 'announce': {
      const status = element('status');
      status.textContent = '';
      // A fresh text after a moment makes screen readers announce even a repeated message.
      return void setTimeout(() => {
        status.textContent = effect.text;
      }, ANNOUNCE_DELAY_MS);
    }
  }
}

/**
 * A refused request also arrives as an `error` frame, and a dropped socket as a `close`, which
 * is where the state learns of them; only a request left unanswered needs saying here.
 */
function unanswered(error: unknown): void {
  if (isMatchqError(error)) return;
  if (error instanceof MatchqConnectionError && error.reason === 'timeout') return dispatch({ type: 'no-answer' });
  if (error instanceof MatchqConnectionError) return;
  throw error;
}

function openClient(): void {
  closeClient();
  if (!state.token) return;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const next = connect(`${scheme}://${location.host}`, state.token, { reconnect: { baseMs: 500 } });
  client = next;
  // Events of a client we have since replaced or closed are old news.
  const live =
    <E>(handler: (event: E) => void) =>
    (event: E) => {
      if (client === next) handler(event);
    };
  next.on(
    'open',
    live(() => dispatch({ type: 'open' })),
  );
  next.on(
    'close',
    live(({ code, reconnectInMs }) => dispatch({ type: 'close', code, ...(reconnectInMs === undefined ? {} : { reconnectInMs }) })),
  );
  for (const type of SERVER_FRAME_TYPES)
    next.on(
      type,
      live((frame: ServerFrame) => dispatch({ type: 'frame', frame })),
    );
  next.on('invalid', ({ message }) => console.warn(`matchq: ignored a frame the protocol does not allow (${message})`));
}

function closeClient(): void {
  const old = client;
  client = null;
  old?.close();
}

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard permission (or no secure context): the caller shows the code to copy by hand.
    return false;
  }
}

const ratingChanges = z.object({
  recent: z.array(z.object({ roomId: z.string(), playerId: z.string(), mode: z.string(), before: z.number(), after: z.number() })),
});
const WATCH_EVERY_MS = 2000;
const WATCH_FOR_MS = 120_000;
let watched: string | null = null;

/**
 * A game's result reaches the player through no frame (the protocol has none for it): the page
 * reads the latest rating changes, the dashboard's `GET /stats/ratings`, every 2 s for up to two
 * minutes after the room, until this room's change for this player is among them.
 */
function watchResult(roomId: string, playerId: string): void {
  watched = roomId;
  const until = performance.now() + WATCH_FOR_MS;
  const look = async (): Promise<void> => {
    if (watched !== roomId || performance.now() > until) return;
    try {
      const response = await fetch('/stats/ratings', { cache: 'no-store' });
      const parsed = response.ok ? ratingChanges.safeParse(await response.json()) : undefined;
      const change = parsed?.success ? parsed.data.recent.find((entry) => entry.roomId === roomId && entry.playerId === playerId) : undefined;
      if (change) return dispatch({ type: 'rating-result', roomId, mode: change.mode, before: change.before, after: change.after });
    } catch {
      // The gateway is away for a moment: the next look tries again.
    }
    setTimeout(() => void look(), WATCH_EVERY_MS);
  };
  void look();
}

async function probe(): Promise<Health> {
  try {
    const response = await fetch('/readyz', { cache: 'no-store' });
    return response.ok ? 'ready' : 'starting';
  } catch {
    // No answer at all is what 'down' means: the page shows it and probes again.
    return 'down';
  }
}

const demoPlayers = z.array(z.object({ id: z.string(), name: z.string(), rating: z.number(), token: z.string() }));

/** Only `npm start` offers demo players; elsewhere the route is missing, and the list stays hidden. */
async function loadDemoPlayers(): Promise<DemoPlayer[]> {
  try {
    const response = await fetch('/demo-players', { cache: 'no-store' });
    if (!response.ok) return [];
    const parsed = demoPlayers.safeParse(await response.json());
    return parsed.success ? parsed.data : [];
  } catch {
    // No list to offer (the gateway away): the demo players stay hidden, as without `npm start`.
    return [];
  }
}

function savedChoice(): Choice {
  try {
    const parsed = z.object({ mode: z.string().optional(), region: z.string().optional() }).safeParse(JSON.parse(localStorage.getItem(CHOICE_KEY) ?? '{}'));
    return parsed.success ? parsed.data : {};
  } catch {
    // A saved choice that does not parse (an older page, a hand edit) is no choice: the defaults apply.
    return {};
  }
}

function wire(): void {
  const on = (id: string, type: string, listener: (event: globalThis.Event) => void) => element(id).addEventListener(type, listener);
  on('token-form', 'submit', (event) => {
    event.preventDefault();
    dispatch({ type: 'submit-token', token: element<HTMLInputElement>('token-input').value });
  });
  on('token-input', 'input', () => {
    if (state.tokenError) dispatch({ type: 'edit-token' });
  });
  on('demo-list', 'click', (event) => {
    const button = (event.target as Element).closest<HTMLElement>('[data-demo]');
    const player = button ? state.demoPlayers[Number(button.dataset.demo)] : undefined;
    if (player) dispatch({ type: 'submit-token', token: player.token });
  });
  on('join-form', 'submit', (event) => {
    event.preventDefault();
    dispatch({ type: 'find', mode: element<HTMLSelectElement>('mode').value, region: element<HTMLSelectElement>('region').value });
  });
  on('cancel', 'click', () => dispatch({ type: 'cancel' }));
  on('accept', 'click', () => dispatch({ type: 'answer', answer: 'accept' }));
  on('decline', 'click', () => dispatch({ type: 'answer', answer: 'decline' }));
  on('again', 'click', () => dispatch({ type: 'again' }));
  on('party-create', 'click', () => dispatch({ type: 'party-create' }));
  on('party-join-form', 'submit', (event) => {
    event.preventDefault();
    dispatch({ type: 'party-join', code: element<HTMLInputElement>('party-code').value });
  });
  on('party-copy', 'click', () => dispatch({ type: 'copy-code' }));
  on('party-leave', 'click', () => dispatch({ type: 'party-leave' }));
  on('party-members', 'click', (event) => {
    const button = (event.target as Element).closest<HTMLElement>('[data-kick]');
    if (button?.dataset.kick) dispatch({ type: 'party-kick', playerId: button.dataset.kick });
  });
  on('retry-now', 'click', () => dispatch({ type: 'retry-now' }));
  on('alert-close', 'click', () => dispatch({ type: 'dismiss' }));
  on('alert-action', 'click', (event) => {
    const action = (event.currentTarget as HTMLElement).dataset.action;
    dispatch({ type: action === 'play-here' ? 'play-here' : 'retry-now' });
  });
  for (const button of document.querySelectorAll('[data-action="signout"]')) button.addEventListener('click', () => dispatch({ type: 'sign-out' }));
  for (const button of document.querySelectorAll('[data-action="lobby"]')) button.addEventListener('click', () => dispatch({ type: 'to-lobby' }));
  // The clocks: time waited, the time left to accept, and the countdown to the next reconnect.
  setInterval(() => {
    if (state.phase === 'searching' || state.phase === 'found' || state.reconnecting?.at || state.copiedAt !== null) dispatch({ type: 'tick' });
  }, TICK_MS);
}

wire();
dispatch({ type: 'boot', token: sessionStorage.getItem(TOKEN_KEY), choice: savedChoice() });
void loadDemoPlayers().then((players) => dispatch({ type: 'demo-players', players }));
