import { expect } from 'chai';
import type { Room, ServerFrame } from '../../packages/client/src/wire/index.js';
import {
  connectingText,
  connectionView,
  controls,
  initialState,
  partyView,
  ratingsView,
  readyView,
  resultText,
  RESUME_GRACE_MS,
  update,
  visibleAlert,
  waitedMs,
  windowView,
  type Effect,
  type Event,
  type State,
} from '../../services/producer/web/lobby/state.js';

/** The lobby's reducer as data: every step of the page without a DOM, a socket or a timer. */

const player = { id: 'p1', name: 'ada', rating: 1500 };
const hello: ServerFrame = { type: 'hello', player, modes: ['ffa3', 'duo'], regions: ['eu', 'us'] };
const queued: ServerFrame = { type: 'queued', ticketId: 't1', mode: 'ffa3', region: 'eu', rating: 1500, id: 'c1' };
const room: Room = {
  id: 'r1',
  mode: 'ffa3',
  region: 'eu',
  createdAt: '2026-12-01T00:00:00.000Z',
  spread: 40,
  imbalance: 0,
  players: [{ playerId: 'p1', ticketId: 't1', name: 'ada', rating: 1500, team: 0, waitedMs: 1200 }],
};

/** Deep-frozen, so a reducer that mutated its input would throw. */
function freeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) freeze(inner);
  }
  return value;
}

/** Runs events from `state`, one millisecond apart unless an event says `at`; returns the last state and every effect. */
function run(state: State, ...events: (Event | [Event, number])[]): { state: State; effects: Effect[] } {
  const effects: Effect[] = [];
  for (const item of events) {
    const [event, at] = Array.isArray(item) ? item : [item, state.now + 1];
    const step = update(freeze(state), event, at);
    state = step.state;
    effects.push(...step.effects);
  }
  return { state, effects };
}

const frame = (value: ServerFrame): Event => ({ type: 'frame', frame: value });
const types = (effects: Effect[]) => effects.map((effect) => effect.type);

function signedIn(): State {
  return run(initialState(0), { type: 'boot', token: null, choice: {} }, { type: 'submit-token', token: ' tok ' }, { type: 'open' }, frame(hello)).state;
}

function searching(): State {
  return run(signedIn(), { type: 'find', mode: 'ffa3', region: 'eu' }, [frame(queued), 1000]).state;
}

describe('lobby state: update(state, event, now)', () => {
  it('starts at sign-in without a token, and connects at once with a saved one', () => {
    const fresh = run(initialState(0), { type: 'boot', token: null, choice: {} });
    expect(fresh.state.phase).to.equal('signin');
    expect(fresh.effects).to.deep.equal([]);
    expect(connectionView(fresh.state)).to.deep.equal({ kind: 'offline', text: 'Not connected' });

    const saved = run(initialState(0), { type: 'boot', token: 'tok', choice: { mode: 'duo' } });
    expect(saved.state).to.include({ phase: 'connecting', connection: 'connecting', token: 'tok' });
    expect(saved.state.choice).to.deep.equal({ mode: 'duo' });
    // On load the focus stays where the browser put it.
    expect(saved.effects).to.deep.equal([{ type: 'connect' }]);
  });

  it('asks for a token when the field is empty, and signs in with a trimmed one', () => {
    const empty = run(initialState(0), { type: 'submit-token', token: '   ' });
    expect(empty.state.tokenError).to.equal('Enter your player token.');
    expect(empty.effects).to.deep.equal([{ type: 'focus', target: 'token-input' }]);
    expect(run(empty.state, { type: 'edit-token' }).state.tokenError).to.equal(null);

    const step = run(initialState(0), { type: 'submit-token', token: ' tok ' });
    expect(step.state).to.include({ token: 'tok', phase: 'connecting', connection: 'connecting' });
    expect(step.effects).to.deep.equal([{ type: 'connect' }, { type: 'focus', target: 'connecting-title' }]);
    expect(connectingText(step.state)).to.equal('Reaching the matchmaking server.');
  });

  it('greets the player on hello: the lobby, the token kept, focus on "Find match"', () => {
    const step = run(initialState(0), { type: 'submit-token', token: 'tok' }, { type: 'open' }, frame(hello));
    expect(step.state).to.include({ phase: 'lobby', connection: 'online', accepted: true });
    expect(step.state.modes).to.deep.equal(['ffa3', 'duo']);
    expect(step.effects).to.deep.include.members([
      { type: 'store-token', token: 'tok' },
      { type: 'announce', text: 'Signed in as ada, rating 1500.' },
      { type: 'focus', target: 'find' },
    ]);
    expect(controls(step.state).find).to.deep.equal({ disabled: false, text: 'Find match' });
    expect(connectionView(step.state)).to.deep.equal({ kind: 'online', text: 'Connected' });
  });

  it('joins only while connected, and says so otherwise', () => {
    const joining = run(signedIn(), { type: 'find', mode: 'duo', region: 'us' });
    expect(joining.state.pending).to.equal('join');
    expect(joining.effects).to.deep.equal([
      { type: 'store-choice', choice: { mode: 'duo', region: 'us' } },
      { type: 'join', mode: 'duo', region: 'us' },
    ]);
    expect(controls(joining.state).find).to.deep.equal({ disabled: true, text: 'Joining…' });

    const offline = run(initialState(0), { type: 'find', mode: 'duo', region: 'us' });
    expect(types(offline.effects)).to.deep.equal(['store-choice']);
    expect(offline.state.alert?.text).to.match(/not connected right now/);
    expect(controls(offline.state).find.disabled).to.equal(true);
  });

  it('shows the wait and the rating window while searching', () => {
    const step = run(signedIn(), { type: 'find', mode: 'ffa3', region: 'eu' }, [frame(queued), 1000]);
    expect(step.state.phase).to.equal('searching');
    expect(step.effects).to.deep.include({ type: 'announce', text: 'Searching for a ffa3 match in eu.' });
    expect(step.effects).to.deep.include({ type: 'focus', target: 'searching-title' });
    expect(windowView(step.state)).to.include({ figure: '—', range: 'starting…' });

    const later = run(step.state, [frame({ type: 'searching', ticketId: 't1', waitedMs: 2000, window: 100 }), 3000], [{ type: 'tick' }, 3750]);
    expect(waitedMs(later.state)).to.equal(2750);
    expect(windowView(later.state)).to.deep.equal({ figure: '±100', range: 'players rated 1400–1600', left: 45, width: 10 });
    // Another ticket's figures are not ours.
    const other = run(later.state, frame({ type: 'searching', ticketId: 't9', waitedMs: 9000, window: 900 }));
    expect(other.state.search).to.equal(later.state.search);
  });

  it('cancels: leave, then the lobby again with "Search cancelled." said and focus on "Find match"', () => {
    const leaving = run(searching(), { type: 'cancel' });
    expect(leaving.state.pending).to.equal('leave');
    expect(leaving.effects).to.deep.equal([{ type: 'leave' }]);
    expect(controls(leaving.state).cancel).to.deep.equal({ disabled: true, text: 'Cancelling…' });

    const left = run(leaving.state, frame({ type: 'left', ticketId: 't1', reason: 'cancelled', id: 'c2' }));
    expect(left.state).to.include({ phase: 'lobby', ticket: null, search: null, pending: null, alert: null });
    expect(left.effects).to.deep.equal([
      { type: 'announce', text: 'Search cancelled.' },
      { type: 'focus', target: 'find' },
    ]);
  });

  it('warns when a search ends without a room', () => {
    const step = run(searching(), frame({ type: 'left', ticketId: 't1', reason: 'timeout' }));
    expect(step.state.phase).to.equal('lobby');
    expect(step.state.alert).to.deep.equal({ text: 'No match was found in time. Try again, or pick another region or mode.', tone: 'warn' });
  });

  it('shows the room, and "Play again" joins the same mode and region', () => {
    const step = run(searching(), frame({ type: 'matched', ticketId: 't1', room }));
    expect(step.state).to.include({ phase: 'room', room, ticket: null });
    expect(step.effects).to.deep.equal([
      { type: 'announce', text: 'Match found: 1 players in ffa3, eu.' },
      { type: 'watch-result', roomId: 'r1', playerId: 'p1' },
      { type: 'focus', target: 'room-title' },
    ]);
    expect(run(step.state, { type: 'again' }).effects).to.deep.include({ type: 'join', mode: 'ffa3', region: 'eu' });
    expect(run(step.state, { type: 'to-lobby' }).state).to.include({ phase: 'lobby', room: null });
  });

  it('keeps the search through a gateway restart, counting down to each attempt, and resumes the ticket', () => {
    const dropped = run(searching(), [{ type: 'close', code: 1001, reconnectInMs: 2400 }, 5000]);
    expect(dropped.state).to.include({ phase: 'searching', connection: 'connecting', pending: null });
    expect(visibleAlert(dropped.state)).to.deep.equal({
      text: 'The server is restarting. Reconnecting in 3 s… Your place in the queue is kept.',
      tone: 'warn',
      action: 'retry',
    });
    expect(connectionView(dropped.state).text).to.equal('Reconnecting…');
    expect(controls(dropped.state).cancel.disabled).to.equal(true);

    // An attempt while the gateway is still down: asked about, and the first reason stays.
    const failed = run(dropped.state, [{ type: 'close', code: 1006, reconnectInMs: 900 }, 7500], { type: 'probed', health: 'down' });
    expect(types(failed.effects)).to.deep.equal(['probe']);
    expect(visibleAlert(failed.state)?.text).to.equal('The server is restarting. Reconnecting in 1 s… Your place in the queue is kept.');
    expect(visibleAlert(run(failed.state, [{ type: 'tick' }, 8500]).state)?.text).to.equal(
      'The server is restarting. Reconnecting… Your place in the queue is kept.',
    );

    const back = run(failed.state, { type: 'open' }, frame(hello));
    expect(back.state).to.include({ phase: 'searching', connection: 'online', awaitingResume: 't1', alert: null });
    expect(visibleAlert(back.state)).to.equal(null);
    expect(back.effects).to.deep.include.members([
      { type: 'announce', text: 'Reconnected.' },
      { type: 'resume-check', ticketId: 't1', afterMs: RESUME_GRACE_MS },
    ]);

    const resumed = run(back.state, frame(queued));
    expect(resumed.state.search).to.equal(failed.state.search);
    expect(resumed.effects).to.deep.equal([{ type: 'announce', text: 'Still searching; your place in the queue was kept.' }]);
    expect(run(resumed.state, { type: 'resume-expired', ticketId: 't1' }).state.phase).to.equal('searching');
  });

  it('tells a player whose search ended while away', () => {
    const back = run(searching(), { type: 'close', code: 1006, reconnectInMs: 100 }, { type: 'open' }, frame(hello));
    const expired = run(back.state, { type: 'resume-expired', ticketId: 't1' });
    expect(expired.state).to.include({ phase: 'lobby', ticket: null });
    expect(expired.state.alert?.tone).to.equal('info');
  });

  it('tells a wrong token from an outage with /readyz', () => {
    const refused = run(initialState(0), { type: 'submit-token', token: 'nope' }, { type: 'close', code: 1006, reconnectInMs: 300 });
    expect(types(refused.effects)).to.deep.equal(['connect', 'focus', 'probe']);

    const wrong = run(refused.state, { type: 'probed', health: 'ready' });
    expect(wrong.state).to.include({ phase: 'signin', token: null, tokenError: "That token wasn't recognised. Check it and try again." });
    expect(wrong.effects).to.deep.equal([{ type: 'disconnect' }, { type: 'store-token', token: null }, { type: 'focus', target: 'token-input' }]);
    const withDemo = run({ ...refused.state, demoPlayers: [{ id: 'd', name: 'bob', rating: 1, token: 'x' }] }, { type: 'probed', health: 'ready' });
    expect(withDemo.state.tokenError).to.equal("That token wasn't recognised. Check it and try again, or pick a demo player.");

    const down = run(refused.state, { type: 'probed', health: 'down' });
    expect(down.state.phase).to.equal('connecting');
    expect(connectingText(down.state)).to.equal("Can't reach the matchmaking server. Reconnecting in 1 s…");
    expect(connectingText(run(refused.state, { type: 'probed', health: 'starting' }).state)).to.match(/^Matchmaking is starting up/);
  });

  it('signs out a token refused twice in a row after it had worked (revoked), not once (a restart race)', () => {
    const once = run(
      signedIn(),
      { type: 'close', code: 1001, reconnectInMs: 100 },
      { type: 'close', code: 1006, reconnectInMs: 100 },
      { type: 'probed', health: 'ready' },
    );
    expect(once.state.token).to.equal('tok');
    const twice = run(once.state, { type: 'close', code: 1006, reconnectInMs: 100 }, { type: 'probed', health: 'ready' });
    expect(twice.state).to.include({ token: null, phase: 'signin', tokenError: 'Your token is no longer accepted. Sign in again.' });
  });

  it('stops at close 4000 (signed in elsewhere) until the player takes over', () => {
    const replaced = run(signedIn(), { type: 'close', code: 4000 });
    expect(replaced.state.connection).to.equal('replaced');
    expect(visibleAlert(replaced.state)).to.deep.equal({
      text: 'You opened matchq in another tab or window, so this one was disconnected.',
      tone: 'warn',
      action: 'play-here',
    });
    expect(controls(replaced.state).find).to.deep.equal({ disabled: true, text: 'Not connected' });
    expect(connectionView(replaced.state)).to.deep.equal({ kind: 'offline', text: 'Disconnected' });
    // A late probe answer does not sign a replaced page out.
    expect(run(replaced.state, { type: 'probed', health: 'ready' }).state.token).to.equal('tok');

    const back = run(replaced.state, { type: 'play-here' });
    expect(back.state).to.include({ connection: 'connecting', alert: null });
    expect(back.effects).to.deep.equal([{ type: 'connect' }]);
  });

  it('words each error, and reconnects when the server says a search is live that the page does not show', () => {
    const limited = run(signedIn(), { type: 'find', mode: 'ffa3', region: 'eu' }, frame({ type: 'error', code: 'rate_limited', message: 'slow down' }));
    expect(limited.state.alert).to.deep.equal({ text: "You're going a bit fast. Wait a moment, then try again.", tone: 'warn' });
    expect(limited.state.pending).to.equal(null);
    expect(limited.effects.at(-1)).to.deep.equal({ type: 'focus', target: 'find' });

    const behind = run(signedIn(), frame({ type: 'error', code: 'already_queued', message: 'x', id: 'c1' }));
    expect(behind.effects).to.deep.equal([{ type: 'connect' }]);

    const gone = run(searching(), frame({ type: 'error', code: 'not_queued', message: 'x' }));
    expect(gone.state.phase).to.equal('lobby');

    const cooling = run(signedIn(), frame({ type: 'error', code: 'cooling_down', message: 'x', retryInMs: 4200 }));
    expect(cooling.state.alert?.text).to.equal('You declined a match a moment ago. You can search again in 5 s.');

    const silent = run(signedIn(), { type: 'find', mode: 'ffa3', region: 'eu' }, { type: 'no-answer' });
    expect(silent.state.pending).to.equal(null);
    expect(silent.state.alert?.tone).to.equal('error');
  });

  it('signs out completely', () => {
    const out = run(searching(), { type: 'sign-out' });
    expect(out.state).to.include({ phase: 'signin', token: null, player: null, ticket: null, search: null, connection: 'offline' });
    expect(out.effects).to.deep.equal([{ type: 'disconnect' }, { type: 'store-token', token: null }, { type: 'focus', target: 'signin-title' }]);
    // What the closed client says afterwards changes nothing.
    expect(run(out.state, { type: 'close', code: 1000 }).state).to.include({ phase: 'signin', connection: 'offline' });
  });

  const party = { id: 'pa', code: 'ABC234', leader: 'p1', members: [{ id: 'p1', name: 'ada', rating: 1500 }] };
  const withBob = { ...party, members: [...party.members, { id: 'p2', name: 'bob', rating: 1540 }] };

  it('parties: creates one, shows its code and members live, and copies the code', () => {
    const asked = run(signedIn(), { type: 'party-create' });
    expect(asked.effects).to.deep.equal([{ type: 'party-create' }]);
    expect(partyView(asked.state)).to.deep.include({ kind: 'none', busy: true, createText: 'Creating…' });
    // A second click while the first is on its way sends nothing.
    expect(run(asked.state, { type: 'party-create' }).effects).to.deep.equal([]);

    const created = run(asked.state, frame({ type: 'party', party, id: 'c2' }));
    expect(created.state).to.include({ partyPending: null });
    expect(created.effects).to.deep.equal([
      { type: 'announce', text: 'Party created. Its code is A B C 2 3 4.' },
      { type: 'focus', target: 'party-copy' },
    ]);
    const alone = partyView(created.state);
    expect(alone).to.deep.include({ kind: 'party', code: 'ABC234', leading: true, copyText: 'Copy code' });
    expect(alone.kind === 'party' && alone.note).to.match(/Share the code/);

    const joined = run(created.state, frame({ type: 'party', party: withBob }));
    expect(joined.effects).to.deep.equal([{ type: 'announce', text: 'bob joined the party.' }]);
    const two = partyView(joined.state);
    expect(two.kind === 'party' && two.members).to.deep.equal([
      { id: 'p1', name: 'ada', rating: 1500, leader: true, me: true, kickable: false },
      { id: 'p2', name: 'bob', rating: 1540, leader: false, me: false, kickable: true },
    ]);
    expect(controls(joined.state).find).to.deep.equal({ disabled: false, text: 'Find match for 2' });

    const copying = run(joined.state, { type: 'copy-code' });
    expect(copying.effects).to.deep.equal([{ type: 'copy', text: 'ABC234' }]);
    const copied = run(copying.state, [{ type: 'copied', ok: true }, 5000]);
    expect(partyView(copied.state)).to.deep.include({ copyText: 'Copied' });
    const later = run(copied.state, [{ type: 'tick' }, 7000]);
    expect(later.state.copiedAt).to.equal(null);
    expect(partyView(later.state)).to.deep.include({ copyText: 'Copy code' });
    expect(run(copying.state, { type: 'copied', ok: false }).state.alert?.text).to.match(/Couldn't copy/);
  });

  it("parties: joins by code (checked first), and a member waits for the leader's search", () => {
    expect(run(signedIn(), { type: 'party-join', code: 'abc' }).effects).to.deep.equal([{ type: 'focus', target: 'party-code' }]);
    const asked = run(signedIn(), { type: 'party-join', code: ' xy7k2m ' });
    expect(asked.effects).to.deep.equal([{ type: 'party-join', code: 'XY7K2M' }]);
    const refused = run(asked.state, frame({ type: 'error', code: 'party_not_found', message: 'no', id: 'c2' }));
    expect(refused.state).to.include({ partyPending: null });
    expect(refused.state.alert?.text).to.equal('No party has that code. Check it and try again.');
    expect(refused.effects).to.deep.equal([{ type: 'focus', target: 'party-code' }]);

    const led = {
      id: 'pb',
      code: 'XY7K2M',
      leader: 'p9',
      members: [
        { id: 'p9', name: 'zed', rating: 1600 },
        { id: 'p1', name: 'ada', rating: 1500 },
      ],
    };
    const member = run(asked.state, frame({ type: 'party', party: led }));
    expect(member.effects).to.deep.equal([{ type: 'announce', text: 'You joined the party.' }]);
    const view = partyView(member.state);
    expect(view.kind === 'party' && view.note).to.equal('zed leads: their Find match queues everyone, you included.');
    expect(view.kind === 'party' && view.members.every((entry) => !entry.kickable)).to.equal(true);
    expect(controls(member.state).find).to.deep.equal({ disabled: true, text: 'The leader starts the search' });
    expect(controls(member.state).again.disabled).to.equal(true);

    // The leader's join queues everyone: the member's page searches too, and keeps its own rating.
    const queuedParty = run(member.state, frame({ ...queued, rating: 1550 } as ServerFrame));
    expect(queuedParty.state.phase).to.equal('searching');
    expect(queuedParty.state.ratings.ffa3).to.equal(1500);
    // The lead passes on.
    const leading = run(member.state, frame({ type: 'party', party: { ...led, leader: 'p1', members: [led.members[1]!] } }));
    expect(leading.effects).to.deep.equal([{ type: 'announce', text: 'zed left the party. You lead the party now.' }]);
    expect(controls(leading.state).find.disabled).to.equal(false);
  });

  it('parties: the leader removes a member; leaving and being removed are told apart', () => {
    const inParty = run(signedIn(), frame({ type: 'party', party: withBob })).state;
    const kicking = run(inParty, { type: 'party-kick', playerId: 'p2' });
    expect(kicking.effects).to.deep.equal([{ type: 'party-kick', playerId: 'p2' }]);
    const kicked = run(kicking.state, frame({ type: 'party', party }));
    expect(kicked.effects).to.deep.equal([{ type: 'announce', text: 'bob left the party.' }]);

    const leaving = run(inParty, { type: 'party-leave' });
    expect(leaving.effects).to.deep.equal([{ type: 'party-leave' }]);
    const left = run(leaving.state, frame({ type: 'party', party: null }));
    expect(left.state.alert).to.equal(null);
    expect(left.effects).to.deep.equal([{ type: 'announce', text: 'You left the party.' }]);
    const removed = run(inParty, frame({ type: 'party', party: null }));
    expect(removed.state.alert).to.deep.equal({ text: 'You were removed from the party.', tone: 'warn' });
    expect(run(inParty, { type: 'close', code: 1006, reconnectInMs: 100 }, { type: 'party-leave' }).effects).to.deep.equal([]);
  });

  it('parties: a server without a party mode (unknown_type) hides the panel, and says why', () => {
    const off = run(signedIn(), { type: 'party-create' }, frame({ type: 'error', code: 'unknown_type', message: 'no', id: 'c2' }));
    expect(off.state.partiesOff).to.equal(true);
    expect(off.state.alert?.text).to.equal('Parties are not turned on for this server.');
    expect(partyView(off.state)).to.deep.equal({ kind: 'hidden' });
    // An unknown_type without a party request is the old meaning.
    expect(run(signedIn(), frame({ type: 'error', code: 'unknown_type', message: 'no' })).state.partiesOff).to.equal(false);
  });

  it('ratings: per mode from hello, a solo ticket’s rating, and the change a game made', () => {
    const rated = run(
      initialState(0),
      { type: 'submit-token', token: 'tok' },
      { type: 'open' },
      frame({ ...hello, player: { ...player, ratings: { ffa3: 1620 } } } as ServerFrame),
    );
    expect(ratingsView(rated.state)).to.deep.equal([
      { mode: 'ffa3', rating: 1620, change: null },
      { mode: 'duo', rating: 1500, change: null },
    ]);
    const solo = run(rated.state, { type: 'find', mode: 'duo', region: 'eu' }, frame({ ...queued, mode: 'duo', rating: 1510 } as ServerFrame));
    expect(solo.state.ratings.duo).to.equal(1510);

    const played = run(solo.state, frame({ type: 'matched', ticketId: 't1', room }));
    expect(played.effects).to.deep.include({ type: 'watch-result', roomId: 'r1', playerId: 'p1' });
    expect(resultText(played.state)).to.equal('Your ffa3 rating (1620) changes when the game server reports the result.');
    // A result for another room is not this game's.
    expect(run(played.state, { type: 'rating-result', roomId: 'r0', mode: 'ffa3', before: 1, after: 2 }).state.ratingChange).to.equal(null);
    const moved = run(played.state, { type: 'rating-result', roomId: 'r1', mode: 'ffa3', before: 1620, after: 1604 });
    expect(moved.effects).to.deep.equal([{ type: 'announce', text: 'Your ffa3 rating is now 1604 (−16).' }]);
    expect(resultText(moved.state)).to.equal('Your ffa3 rating: 1620 → 1604 (−16)');
    expect(ratingsView(moved.state)[0]).to.deep.equal({ mode: 'ffa3', rating: 1604, change: -16 });
    // The same room again (a resume) does not start a second watch.
    expect(types(run(moved.state, frame({ type: 'matched', ticketId: 't1', room })).effects)).to.not.include('watch-result');
  });

  const found: ServerFrame = {
    type: 'found',
    ticketId: 't1',
    roomId: 'r1',
    expiresInMs: 10_000,
    players: [
      { id: 'p1', name: 'ada' },
      { id: 'p2', name: 'bob' },
    ],
  };

  it('ready check: asks to accept a found room with a countdown, counts the accepts, then shows the room', () => {
    const asked = run(searching(), [frame(found), 2000]);
    expect(asked.state.phase).to.equal('found');
    expect(asked.state.readyCheck).to.include({ roomId: 'r1', expiresAt: 12_000, accepted: 0, total: 2, answered: null });
    expect(asked.effects).to.deep.equal([
      { type: 'announce', text: 'Match found. Accept within 10 seconds.' },
      { type: 'focus', target: 'accept' },
    ]);
    expect(readyView(run(asked.state, [{ type: 'tick' }, 4500]).state)).to.deep.equal({ seconds: 8, left: 75, count: '0 of 2 accepted', waiting: false });
    // Figures that come late do not hide the question.
    expect(run(asked.state, frame({ type: 'searching', ticketId: 't1', waitedMs: 3000, window: 10 })).state.phase).to.equal('found');

    const accepted = run(asked.state, { type: 'answer', answer: 'accept' });
    expect(accepted.effects).to.deep.equal([{ type: 'answer', answer: 'accept', roomId: 'r1' }]);
    expect(controls(accepted.state).accept).to.deep.equal({ disabled: true, text: 'Accepted' });
    expect(controls(accepted.state).decline.disabled).to.equal(true);
    // One answer only.
    expect(run(accepted.state, { type: 'answer', answer: 'decline' }).effects).to.deep.equal([]);

    const counted = run(accepted.state, frame({ type: 'ready', roomId: 'r1', accepted: 1, total: 2, id: 'c3' }));
    expect(readyView(counted.state)?.count).to.equal('1 of 2 accepted; waiting for the others');
    const made = run(counted.state, frame({ type: 'matched', ticketId: 't1', room }));
    expect(made.state).to.include({ phase: 'room', readyCheck: null });
  });

  it('ready check: a decline ends the search; a room that falls through because of others searches again', () => {
    const asked = run(searching(), frame(found)).state;
    const declining = run(asked, { type: 'answer', answer: 'decline' });
    expect(declining.effects).to.deep.equal([{ type: 'answer', answer: 'decline', roomId: 'r1' }]);
    const declined = run(declining.state, frame({ type: 'left', ticketId: 't1', reason: 'declined', id: 'c3' }));
    expect(declined.state).to.include({ phase: 'lobby', readyCheck: null, ticket: null });
    expect(declined.state.alert).to.deep.equal({ text: 'You declined the match, so your search ended.', tone: 'info' });

    const requeued = run(asked, frame({ type: 'requeued', ticketId: 't1', reason: 'accept_timeout' }));
    expect(requeued.state).to.include({ phase: 'searching', readyCheck: null });
    expect(requeued.state.alert?.text).to.match(/back in the queue/);
    expect(run(asked, frame({ type: 'left', ticketId: 't1', reason: 'accept_timeout' })).state.alert?.text).to.match(/didn't accept the match in time/);
    expect(run(asked, { type: 'close', code: 1006, reconnectInMs: 100 }, { type: 'answer', answer: 'accept' }).effects).to.deep.equal([]);
  });

  it('ready check: after a reconnect the room comes again with the time left, and what was answered stays', () => {
    const accepted = run(
      searching(),
      [frame(found), 2000],
      { type: 'answer', answer: 'accept' },
      frame({ type: 'ready', roomId: 'r1', accepted: 1, total: 2 }),
    ).state;
    const back = run(accepted, { type: 'close', code: 1001, reconnectInMs: 100 }, { type: 'open' }, frame(hello), frame(queued));
    expect(back.state.phase).to.equal('found');
    const again = run(back.state, [frame({ ...found, expiresInMs: 4000 } as ServerFrame), 6000]);
    expect(again.state.readyCheck).to.include({ expiresAt: 10_000, expiresInMs: 10_000, accepted: 1, answered: 'accept' });
    expect(again.effects).to.deep.equal([]);
  });
});
