// matchq lobby: one WebSocket (protocol v1), a small state machine, no framework, no build step.

import { avatar, avatarColor, formatWait, initials, renderTeam } from './lobby-room.js';
import { CLOSE_TEXT, ERROR_TEXT, LEFT_TEXT } from './lobby-words.js';

const TOKEN_KEY = 'matchq.token';
const CHOICE_KEY = 'matchq.choice';
const RESUME_GRACE_MS = 4000;

const $ = (selector) => document.querySelector(selector);
const $$ = (selector) => [...document.querySelectorAll(selector)];

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  player: null,
  modes: [],
  regions: [],
  phase: 'signin',
  ticket: null,
  searching: null,
  room: null,
  socket: null,
  opened: false,
  attempts: 0,
  retryTimer: null,
  retryAt: 0,
  resumeTimer: null,
  pending: null,
  /** Closed with 4000: another tab of this player took over; we wait for the player to act. */
  replaced: false,
  nextId: 1,
};

// ---------- rendering ----------

function show(phase, { focus = true } = {}) {
  const changed = state.phase !== phase;
  state.phase = phase;
  document.body.dataset.phase = phase;
  for (const view of $$('[data-view]')) view.hidden = view.dataset.view !== phase;
  renderControls();
  if (changed && focus) focusPhase(phase);
}

function focusPhase(phase) {
  const target = {
    signin: '#signin-title',
    lobby: '#find',
    searching: '#searching-title',
    room: '#room-title',
    connecting: '#connecting-title',
  }[phase];
  const element = target && $(target);
  if (element) requestAnimationFrame(() => element.focus());
}

function announce(text) {
  const status = $('#status');
  status.textContent = '';
  // A fresh text node after a tick makes screen readers announce even a repeated message.
  setTimeout(() => { status.textContent = text; }, 30);
}

function setAlert(text, { tone = 'error', action } = {}) {
  const alert = $('#alert');
  if (!text) {
    alert.hidden = true;
    return;
  }
  alert.dataset.tone = tone;
  $('#alert-text').textContent = text;
  const button = $('#alert-action');
  button.hidden = !action;
  if (action) {
    button.textContent = action.label;
    button.onclick = action.run;
  }
  alert.hidden = false;
}

function setConnection(kind, text) {
  const pill = $('#connection');
  pill.dataset.state = kind;
  $('#connection-text').textContent = text;
}

function renderControls() {
  const online = isOpen();
  const find = $('#find');
  find.disabled = !online || state.pending === 'join';
  // After a 4000 nothing reconnects by itself: say so instead of promising a connection.
  find.textContent = state.pending === 'join' ? 'Joining…' : online ? 'Find match' : state.replaced ? 'Not connected' : 'Waiting for connection…';
  const cancel = $('#cancel');
  cancel.disabled = !online || state.pending === 'leave';
  cancel.textContent = state.pending === 'leave' ? 'Cancelling…' : 'Cancel';
  const again = $('#again');
  again.disabled = !online || state.pending === 'join';
  again.textContent = state.pending === 'join' ? 'Joining…' : 'Play again';
}

function renderPlayer() {
  if (!state.player) return;
  for (const element of $$('[data-player-name]')) element.textContent = state.player.name;
  for (const element of $$('[data-player-rating]')) element.textContent = String(state.player.rating);
  const slot = $('[data-avatar]');
  slot.textContent = initials(state.player.name);
  slot.style.setProperty('--avatar', avatarColor(state.player.name));
}

function fillSelect(select, values, preferred) {
  const current = select.value || preferred;
  select.replaceChildren(...values.map((value) => new Option(value, value)));
  if (values.includes(current)) select.value = current;
}

function renderChoices() {
  const saved = readChoice();
  fillSelect($('#mode'), state.modes, saved.mode);
  fillSelect($('#region'), state.regions, saved.region);
}

function renderSearching() {
  const search = state.searching;
  const ticket = state.ticket;
  if (ticket) $('[data-queue-label]').textContent = `${ticket.mode} · ${ticket.region}`;
  const waited = search ? search.waitedMs + (search.frozen ? 0 : performance.now() - search.receivedAt) : 0;
  const waitedElement = $('#waited');
  waitedElement.textContent = formatWait(waited);
  waitedElement.setAttribute('datetime', `PT${Math.floor(waited / 1000)}S`);
  const windowElement = $('#window');
  const range = $('#window-range');
  const fill = $('#window-bar-fill');
  if (!search || search.window === undefined) {
    windowElement.textContent = '—';
    range.textContent = 'starting…';
    fill.style.width = '0';
    return;
  }
  if (search.window === null) {
    windowElement.textContent = 'Any';
    range.textContent = 'any rating';
    fill.style.left = '0';
    fill.style.width = '100%';
    return;
  }
  const window = Math.round(search.window);
  const rating = ticket?.rating ?? state.player?.rating ?? 0;
  windowElement.textContent = `±${window}`;
  range.textContent = `players rated ${Math.max(0, Math.round(rating - window))}–${Math.round(rating + window)}`;
  const width = Math.min(100, Math.max(2, (window / 1000) * 100));
  fill.style.left = `${50 - width / 2}%`;
  fill.style.width = `${width}%`;
}

function renderRoom() {
  const room = state.room;
  if (!room) return;
  const container = $('#room');
  container.dataset.roomId = room.id;
  const teamIds = [...new Set(room.players.map((player) => player.team))].sort((a, b) => a - b);
  container.dataset.teams = String(teamIds.length);
  $('#room-meta').textContent = `${room.mode} · ${room.region} · ${room.players.length} players · rating spread ${Math.round(room.spread)}`;
  const me = room.players.find((player) => player.playerId === state.player?.id);
  $('#room-title').textContent = teamIds.length > 1 && me ? `You're on Team ${me.team + 1}` : 'Your room is ready';
  container.replaceChildren(...teamIds.map((team) => renderTeam(room, team, teamIds.length > 1, state.player?.id)));
}

// ---------- connection ----------

function isOpen() {
  return state.socket?.readyState === WebSocket.OPEN;
}

function socketUrl(token) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}`;
}

function connect() {
  state.replaced = false;
  clearTimeout(state.retryTimer);
  state.retryTimer = null;
  if (!state.token) return show('signin');
  if (state.socket) {
    const old = state.socket;
    state.socket = null;
    old.close(1000);
  }
  setConnection('connecting', 'Connecting…');
  if (state.phase === 'signin') {
    $('#connecting-text').textContent = 'Reaching the matchmaking server.';
    $('#retry-now').hidden = true;
    show('connecting');
  }
  const socket = new WebSocket(socketUrl(state.token));
  state.socket = socket;
  state.opened = false;
  socket.addEventListener('open', () => {
    if (state.socket !== socket) return;
    state.opened = true;
    setConnection('online', 'Connected');
  });
  socket.addEventListener('message', (event) => {
    if (state.socket !== socket) return;
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    onMessage(message);
  });
  socket.addEventListener('close', (event) => {
    if (state.socket !== socket) return;
    state.socket = null;
    void onClose(event.code, state.opened);
  });
}

async function onClose(code, opened) {
  // A live ticket keeps waiting on the server while we are away; the view and its clock stay as they are.
  state.pending = null;
  renderControls();
  if (code === 4000) {
    state.replaced = true;
    renderControls();
    setConnection('offline', 'Disconnected');
    setAlert(CLOSE_TEXT[4000], { tone: 'warn', action: { label: 'Play here instead', run: () => { setAlert(); connect(); } } });
    if (state.phase === 'connecting') $('#connecting-text').textContent = 'Disconnected: playing in another tab.';
    return;
  }
  if (!opened) {
    // The browser hides the upgrade's HTTP status: ask the server whether it is up to tell a bad token from an outage.
    const health = await probe();
    if (health === 'ready') {
      signOut();
      const demo = $('#demo').hidden ? '' : ', or pick a demo player';
      showTokenError(`That token wasn't recognised. Check it and try again${demo}.`);
      return;
    }
    scheduleReconnect(health === 'starting' ? 'Matchmaking is starting up or partly unavailable.' : "Can't reach the matchmaking server.");
    return;
  }
  scheduleReconnect(CLOSE_TEXT[code] ?? 'The connection to the server was lost.');
}

async function probe() {
  try {
    const response = await fetch('/readyz', { cache: 'no-store' });
    return response.ok ? 'ready' : 'starting';
  } catch {
    return 'down';
  }
}

function scheduleReconnect(reason) {
  if (!state.token) return;
  const delay = Math.min(10_000, 500 * 2 ** state.attempts) * (0.8 + Math.random() * 0.4);
  state.attempts += 1;
  state.retryAt = Date.now() + delay;
  setConnection('connecting', 'Reconnecting…');
  const keep = state.phase === 'searching' ? ' Your place in the queue is kept.' : '';
  const tick = () => {
    const seconds = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000));
    const text = `${reason} Reconnecting${seconds > 0 ? ` in ${seconds} s` : ''}…${keep}`;
    if (state.phase === 'connecting') {
      $('#connecting-text').textContent = text;
      $('#retry-now').hidden = false;
      setAlert();
    } else {
      setAlert(text, { tone: 'warn', action: { label: 'Try now', run: () => connect() } });
    }
  };
  tick();
  const countdown = setInterval(() => {
    if (state.retryTimer === null || isOpen()) return clearInterval(countdown);
    tick();
  }, 500);
  state.retryTimer = setTimeout(() => {
    clearInterval(countdown);
    state.retryTimer = null;
    connect();
  }, delay);
}

function send(message) {
  if (!isOpen()) {
    setAlert("You're not connected right now. We'll reconnect automatically.", { tone: 'warn' });
    return false;
  }
  state.socket.send(JSON.stringify({ ...message, id: state.nextId++ }));
  return true;
}

// ---------- protocol ----------

function onMessage(message) {
  switch (message.type) {
    case 'hello': return onHello(message);
    case 'queued': return onQueued(message);
    case 'searching': return onSearching(message);
    case 'matched': return onMatched(message);
    case 'left': return onLeft(message);
    case 'error': return onError(message);
    default: return undefined;
  }
}

function onHello({ player, modes, regions }) {
  const reconnected = state.attempts > 0;
  state.attempts = 0;
  state.player = player;
  state.modes = modes ?? [];
  state.regions = regions ?? [];
  sessionStorage.setItem(TOKEN_KEY, state.token);
  renderPlayer();
  renderChoices();
  setAlert();
  if (reconnected) announce('Reconnected.');
  if (state.phase === 'searching') {
    // The server answers a live ticket with `queued` (or `matched`, if a room formed meanwhile).
    clearTimeout(state.resumeTimer);
    state.resumeTimer = setTimeout(() => {
      if (state.phase !== 'searching') return;
      state.ticket = null;
      state.searching = null;
      show('lobby');
      setAlert('Your search ended while you were away. Start a new one when you are ready.', { tone: 'info' });
    }, RESUME_GRACE_MS);
  } else if (state.phase === 'signin' || state.phase === 'connecting') {
    show('lobby');
    announce(`Signed in as ${player.name}, rating ${player.rating}.`);
  }
  renderControls();
}

function onQueued({ ticketId, mode, region, rating }) {
  clearTimeout(state.resumeTimer);
  const resumed = state.ticket?.ticketId === ticketId;
  state.pending = null;
  state.ticket = { ticketId, mode, region, rating };
  if (!resumed) state.searching = { ticketId, waitedMs: 0, window: undefined, receivedAt: performance.now() };
  state.room = null;
  show('searching');
  renderSearching();
  announce(resumed ? 'Still searching; your place in the queue was kept.' : `Searching for a ${mode} match in ${region}.`);
}

function onSearching({ ticketId, waitedMs, window }) {
  if (state.ticket && state.ticket.ticketId !== ticketId) return;
  state.searching = { ticketId, waitedMs, window, receivedAt: performance.now() };
  if (state.phase !== 'searching' && state.ticket) show('searching');
  renderSearching();
}

function onMatched({ room }) {
  clearTimeout(state.resumeTimer);
  state.pending = null;
  state.room = room;
  state.ticket = null;
  state.searching = null;
  setAlert();
  renderRoom();
  show('room');
  announce(`Match found: ${room.players.length} players in ${room.mode}, ${room.region}.`);
}

function onLeft({ reason }) {
  clearTimeout(state.resumeTimer);
  state.pending = null;
  state.ticket = null;
  state.searching = null;
  show('lobby');
  const text = LEFT_TEXT[reason] ?? 'Your search ended.';
  if (reason === 'cancelled') {
    setAlert();
    announce(text);
  } else {
    setAlert(text, { tone: 'warn' });
  }
}

function onError({ code }) {
  const text = ERROR_TEXT[code] ?? 'Something went wrong. Please try again.';
  const wasPending = state.pending;
  state.pending = null;
  if (code === 'not_queued' && state.phase === 'searching') {
    state.ticket = null;
    state.searching = null;
    show('lobby');
  }
  if (code === 'already_queued' && state.phase !== 'searching') {
    // Our view fell behind the server: reconnecting makes it resend `queued` for the live ticket.
    connect();
    return;
  }
  setAlert(text, { tone: code === 'rate_limited' || code === 'already_queued' ? 'warn' : 'error' });
  renderControls();
  if (wasPending === 'join' && state.phase === 'lobby') $('#find').focus();
}

// ---------- actions ----------

function readChoice() {
  try {
    return JSON.parse(localStorage.getItem(CHOICE_KEY) ?? '{}');
  } catch {
    return {};
  }
}

function join(mode, region) {
  setAlert();
  localStorage.setItem(CHOICE_KEY, JSON.stringify({ mode, region }));
  if (!send({ type: 'join', mode, region })) return;
  state.pending = 'join';
  renderControls();
}

function signIn(token) {
  state.token = token.trim();
  state.attempts = 0;
  state.player = null;
  hideTokenError();
  setAlert();
  connect();
}

function signOut() {
  clearTimeout(state.retryTimer);
  clearTimeout(state.resumeTimer);
  state.retryTimer = null;
  const socket = state.socket;
  state.socket = null;
  socket?.close(1000);
  Object.assign(state, { token: null, player: null, ticket: null, searching: null, room: null, pending: null, attempts: 0 });
  sessionStorage.removeItem(TOKEN_KEY);
  setConnection('offline', 'Not connected');
  setAlert();
  show('signin');
}

function showTokenError(text) {
  const error = $('#token-error');
  error.textContent = text;
  error.hidden = false;
  const input = $('#token-input');
  input.setAttribute('aria-invalid', 'true');
  input.focus();
}

function hideTokenError() {
  $('#token-error').hidden = true;
  $('#token-input').removeAttribute('aria-invalid');
}

async function loadDemoPlayers() {
  let players;
  try {
    const response = await fetch('/demo-players', { cache: 'no-store' });
    if (!response.ok) return;
    players = await response.json();
  } catch {
    return;
  }
  if (!Array.isArray(players) || players.length === 0) return;
  const list = $('#demo-list');
  list.replaceChildren(...players.map((player) => {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'btn demo-player';
    button.dataset.playerName = player.name;
    const who = document.createElement('span');
    who.className = 'who';
    who.innerHTML = '<span class="name"></span><span class="rating"></span>';
    who.querySelector('.name').textContent = player.name;
    who.querySelector('.rating').textContent = `Rating ${player.rating}`;
    button.append(avatar(player.name), who);
    button.setAttribute('aria-label', `Play as ${player.name}, rating ${player.rating}`);
    button.addEventListener('click', () => signIn(player.token));
    item.append(button);
    return item;
  }));
  $('#demo').hidden = false;
}

function wire() {
  $('#token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('#token-input').value.trim();
    if (!token) return showTokenError('Enter your player token.');
    signIn(token);
  });
  $('#token-input').addEventListener('input', hideTokenError);
  $('#join-form').addEventListener('submit', (event) => {
    event.preventDefault();
    join($('#mode').value, $('#region').value);
  });
  $('#cancel').addEventListener('click', () => {
    if (send({ type: 'leave' })) {
      state.pending = 'leave';
      renderControls();
    }
  });
  $('#again').addEventListener('click', () => {
    const room = state.room;
    if (room) join(room.mode, room.region);
  });
  $('#retry-now').addEventListener('click', () => connect());
  $('#alert-close').addEventListener('click', () => setAlert());
  for (const button of $$('[data-action="signout"]')) button.addEventListener('click', signOut);
  for (const button of $$('[data-action="lobby"]')) button.addEventListener('click', () => { state.room = null; show('lobby'); });
  setInterval(() => { if (state.phase === 'searching') renderSearching(); }, 250);
}

wire();
void loadDemoPlayers();
if (state.token) {
  connect();
} else {
  show('signin', { focus: false });
  setConnection('offline', 'Not connected');
}
