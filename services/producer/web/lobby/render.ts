// Draws the lobby from its state, all of it on every call: cheap, since each element is written
// only when its text or attribute changes and each list is rebuilt only when its data is new.
import { avatarColor, formatWait, initials } from './format.js';
import { avatar, renderTeam, teamsOf } from './room.js';
import {
  connectingText,
  connectionView,
  controls,
  partyView,
  ratingsView,
  readyView,
  resultText,
  signed,
  visibleAlert,
  waitedMs,
  windowView,
  type State,
} from './state.js';

export function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`lobby.html has no #${id}`);
  return found as T;
}

function setText(target: Element, text: string): void {
  if (target.textContent !== text) target.textContent = text;
}

function setHidden(target: HTMLElement, hidden: boolean): void {
  if (target.hidden !== hidden) target.hidden = hidden;
}

/** The data each list was last drawn from: a list is rebuilt only when its data changed. */
const drawn: { player?: unknown; modes?: unknown; regions?: unknown; room?: unknown; demo?: unknown; found?: unknown; party?: string; ratings?: string } = {};

export function render(state: State): void {
  document.body.dataset.phase = state.phase;
  for (const view of document.querySelectorAll<HTMLElement>('[data-view]')) setHidden(view, view.dataset.view !== state.phase);

  const pill = element('connection');
  const connection = connectionView(state);
  pill.dataset.state = connection.kind;
  setText(element('connection-text'), connection.text);

  renderAlert(state);
  renderSignIn(state);
  renderPlayer(state);
  renderChoices(state);
  renderRatings(state);
  renderParty(state);
  renderSearching(state);
  renderFound(state);
  renderRoom(state);
  setText(element('connecting-text'), connectingText(state));
  setHidden(element('retry-now'), !(state.reconnecting?.reason && state.connection === 'connecting'));

  const buttons = controls(state);
  for (const id of ['find', 'cancel', 'again', 'accept', 'decline'] as const) {
    const button = element<HTMLButtonElement>(id);
    button.disabled = buttons[id].disabled;
    setText(button, buttons[id].text);
  }
}

function renderAlert(state: State): void {
  const alert = visibleAlert(state);
  const box = element('alert');
  setHidden(box, !alert);
  if (!alert) return;
  box.dataset.tone = alert.tone;
  setText(element('alert-text'), alert.text);
  const button = element('alert-action');
  setHidden(button, !alert.action);
  if (alert.action) {
    button.dataset.action = alert.action;
    setText(button, alert.action === 'play-here' ? 'Play here instead' : 'Try now');
  }
}

function renderSignIn(state: State): void {
  const error = element('token-error');
  setHidden(error, !state.tokenError);
  setText(error, state.tokenError ?? '');
  const input = element('token-input');
  if (state.tokenError) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');

  setHidden(element('demo'), state.demoPlayers.length === 0);
  if (drawn.demo === state.demoPlayers) return;
  drawn.demo = state.demoPlayers;
  element('demo-list').replaceChildren(
    ...state.demoPlayers.map((player, index) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn demo-player';
      button.dataset.demo = String(index);
      const who = document.createElement('span');
      who.className = 'who';
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = player.name;
      const rating = document.createElement('span');
      rating.className = 'rating';
      rating.textContent = `Rating ${player.rating}`;
      who.append(name, rating);
      button.append(avatar(player.name), who);
      button.setAttribute('aria-label', `Play as ${player.name}, rating ${player.rating}`);
      item.append(button);
      return item;
    }),
  );
}

function renderPlayer(state: State): void {
  const player = state.player;
  if (!player || drawn.player === player) return;
  drawn.player = player;
  for (const target of document.querySelectorAll('[data-player-name]')) setText(target, player.name);
  const slot = document.querySelector<HTMLElement>('[data-avatar]');
  if (slot) {
    slot.textContent = initials(player.name);
    slot.style.setProperty('--avatar', avatarColor(player.name));
  }
}

function fillSelect(select: HTMLSelectElement, values: string[], preferred: string | undefined): void {
  const current = select.value || preferred;
  select.replaceChildren(...values.map((value) => new Option(value, value)));
  if (current !== undefined && values.includes(current)) select.value = current;
}

function renderChoices(state: State): void {
  if (drawn.modes !== state.modes) fillSelect(element<HTMLSelectElement>('mode'), state.modes, state.choice.mode);
  if (drawn.regions !== state.regions) fillSelect(element<HTMLSelectElement>('region'), state.regions, state.choice.region);
  drawn.modes = state.modes;
  drawn.regions = state.regions;
}

function renderSearching(state: State): void {
  if (state.phase !== 'searching') return;
  const ticket = state.ticket;
  if (ticket) setText(document.querySelector('[data-queue-label]')!, `${ticket.mode} · ${ticket.region}`);
  const party = state.party;
  const others = party?.members.filter((member) => member.id !== state.player?.id).map((member) => member.name) ?? [];
  const line = element('searching-party');
  setHidden(line, others.length === 0);
  setText(line, others.length ? `With your party: ${others.join(', ')}. Cancelling cancels for everyone.` : '');
  const waited = waitedMs(state);
  const clock = element('waited');
  setText(clock, formatWait(waited));
  clock.setAttribute('datetime', `PT${Math.floor(waited / 1000)}S`);
  const window = windowView(state);
  setText(element('window'), window.figure);
  setText(element('window-range'), window.range);
  const fill = element('window-bar-fill');
  fill.style.left = `${window.left}%`;
  fill.style.width = `${window.width}%`;
}

/** v1.1 ready check: the room found, who is in it, the time left and how many accepted. */
function renderFound(state: State): void {
  const check = state.readyCheck;
  const view = readyView(state);
  if (state.phase !== 'found' || !check || !view) return;
  const ticket = state.ticket;
  setText(element('found-meta'), `${ticket ? `${ticket.mode} · ${ticket.region} · ` : ''}${check.total} players`);
  const seconds = element('found-seconds');
  setText(seconds, String(view.seconds));
  seconds.setAttribute('datetime', `PT${view.seconds}S`);
  element('found-bar').style.width = `${view.left}%`;
  setText(element('found-count'), view.count);
  if (drawn.found === check.players) return;
  drawn.found = check.players;
  element('found-players').replaceChildren(
    ...check.players.map((player) => {
      const item = document.createElement('li');
      item.dataset.playerId = player.id;
      const name = document.createElement('span');
      name.className = 'player-name';
      name.textContent = player.name;
      item.append(avatar(player.name), name);
      if (player.id === state.player?.id) {
        item.setAttribute('aria-current', 'true');
        const badge = document.createElement('span');
        badge.className = 'you';
        badge.textContent = 'You';
        item.append(badge);
      }
      return item;
    }),
  );
}

function renderRatings(state: State): void {
  const ratings = ratingsView(state);
  const key = JSON.stringify(ratings);
  if (drawn.ratings === key) return;
  drawn.ratings = key;
  element('ratings').replaceChildren(
    ...ratings.map(({ mode, rating, change }) => {
      const item = document.createElement('li');
      item.dataset.mode = mode;
      const name = Object.assign(document.createElement('span'), { className: 'rating-mode', textContent: mode });
      const figure = Object.assign(document.createElement('strong'), { className: 'rating-value', textContent: String(rating) });
      item.append(name, figure);
      if (change !== null) {
        const badge = Object.assign(document.createElement('span'), { className: 'rating-change', textContent: signed(change) });
        badge.dataset.sign = change > 0 ? 'up' : change < 0 ? 'down' : 'same';
        badge.setAttribute('aria-label', `${signed(change)} after your last game`);
        item.append(badge);
      }
      return item;
    }),
  );
}

function renderParty(state: State): void {
  const view = partyView(state);
  const panel = element('party');
  setHidden(panel, view.kind === 'hidden');
  if (view.kind === 'hidden') return;
  setHidden(element('party-none'), view.kind !== 'none');
  setHidden(element('party-in'), view.kind !== 'party');
  setText(element('party-title'), view.kind === 'party' ? 'Your party' : 'Play with friends');
  if (view.kind === 'none') {
    for (const id of ['party-create', 'party-join', 'party-code'] as const) element<HTMLButtonElement>(id).disabled = view.busy;
    setText(element('party-create'), view.createText);
    setText(element('party-join'), view.joinText);
    drawn.party = undefined;
    return;
  }
  setText(element('party-code-text'), view.code);
  setText(element('party-copy'), view.copyText);
  setText(element('party-note'), view.note);
  setText(element('party-leave'), view.leaveText);
  element<HTMLButtonElement>('party-leave').disabled = view.busy;
  const key = JSON.stringify([view.members, view.busy]);
  if (drawn.party === key) return;
  drawn.party = key;
  element('party-members').replaceChildren(
    ...view.members.map((member) => {
      const item = document.createElement('li');
      item.dataset.playerId = member.id;
      if (member.me) item.setAttribute('aria-current', 'true');
      const who = document.createElement('span');
      who.className = 'who';
      who.append(
        Object.assign(document.createElement('span'), { className: 'player-name', textContent: member.name }),
        Object.assign(document.createElement('span'), { className: 'member-rating', textContent: `Rating ${member.rating}` }),
      );
      item.append(avatar(member.name), who);
      if (member.leader) item.append(Object.assign(document.createElement('span'), { className: 'tag tag-leader', textContent: 'Leader' }));
      if (member.me) item.append(Object.assign(document.createElement('span'), { className: 'you', textContent: 'You' }));
      if (member.kickable) {
        const kick = document.createElement('button');
        kick.type = 'button';
        kick.className = 'btn btn-ghost btn-small kick';
        kick.dataset.kick = member.id;
        kick.textContent = 'Remove';
        kick.setAttribute('aria-label', `Remove ${member.name} from the party`);
        kick.disabled = view.busy;
        item.append(kick);
      }
      return item;
    }),
  );
}

function renderRoom(state: State): void {
  const result = resultText(state);
  const line = element('room-result');
  setHidden(line, !result);
  setText(line, result ?? '');
  line.dataset.state = state.ratingChange?.roomId === state.room?.id ? 'done' : 'waiting';
  const room = state.room;
  if (!room || drawn.room === room) return;
  drawn.room = room;
  const container = element('room');
  container.dataset.roomId = room.id;
  const teams = teamsOf(room);
  container.dataset.teams = String(teams.length);
  setText(element('room-meta'), `${room.mode} · ${room.region} · ${room.players.length} players · rating spread ${Math.round(room.spread)}`);
  const me = room.players.find((player) => player.playerId === state.player?.id);
  setText(element('room-title'), teams.length > 1 && me ? `You're on Team ${me.team + 1}` : 'Your room is ready');
  const server = room.server?.address;
  setHidden(element('room-server'), !server);
  setText(element('room-server-address'), server ?? '');
  container.replaceChildren(...teams.map((team) => renderTeam(room, team, teams.length > 1, state.player?.id, me?.partyId ?? null)));
}
