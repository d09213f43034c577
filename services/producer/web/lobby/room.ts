// Drawing a room: one table per team, the player's own row marked (aria-current) and their
// party's rows tagged, avatars by name.
import type { Room } from '../../../../packages/client/src/wire/index.js';
import { avatarColor, formatWait, initials } from './format.js';

export function avatar(name: string, className = 'avatar'): HTMLSpanElement {
  const element = document.createElement('span');
  element.className = className;
  element.setAttribute('aria-hidden', 'true');
  element.textContent = initials(name);
  element.style.setProperty('--avatar', avatarColor(name));
  return element;
}

/** The team numbers of a room, in order. */
export function teamsOf(room: Room): number[] {
  return [...new Set(room.players.map((player) => player.team))].sort((a, b) => a - b);
}

export function renderTeam(room: Room, team: number, many: boolean, myId: string | undefined, myParty: string | null): HTMLElement {
  const players = room.players.filter((player) => player.team === team).sort((a, b) => b.rating - a.rating);
  const section = document.createElement('section');
  section.className = 'team';
  section.style.setProperty('--team-color', `var(--team-${team % 4})`);
  const headingId = `team-${team}`;
  const head = document.createElement('div');
  head.className = 'team-head';
  const title = document.createElement('h2');
  title.id = headingId;
  title.textContent = many ? `Team ${team + 1}` : 'Players';
  const sum = players.reduce((total, player) => total + player.rating, 0);
  const figure = document.createElement('span');
  figure.textContent = many ? `total ${Math.round(sum)}` : `average ${Math.round(sum / players.length)}`;
  head.append(title, figure);

  const table = document.createElement('table');
  table.setAttribute('aria-labelledby', headingId);
  const headRow = table.createTHead().insertRow();
  for (const [text, className] of [
    ['Player', ''],
    ['Rating', 'num'],
    ['Waited', 'num col-waited'],
  ] as const) {
    const cell = document.createElement('th');
    cell.scope = 'col';
    if (className) cell.className = className;
    cell.textContent = text;
    headRow.append(cell);
  }
  const body = table.createTBody();
  for (const player of players) {
    const row = body.insertRow();
    row.dataset.playerId = player.playerId;
    const mine = player.playerId === myId;
    const party = myParty !== null && player.partyId === myParty;
    if (mine) row.setAttribute('aria-current', 'true');
    if (party) row.dataset.party = 'mine';
    const who = document.createElement('th');
    who.scope = 'row';
    const cell = document.createElement('div');
    cell.className = 'who-cell';
    const name = document.createElement('span');
    name.className = 'player-name';
    name.textContent = player.name;
    cell.append(avatar(player.name), name);
    if (mine) {
      const badge = document.createElement('span');
      badge.className = 'you';
      badge.textContent = 'You';
      cell.append(badge);
    } else if (party) {
      const badge = document.createElement('span');
      badge.className = 'tag tag-party';
      badge.textContent = 'Party';
      badge.title = 'In your party';
      cell.append(badge);
    }
    who.append(cell);
    const rating = document.createElement('td');
    rating.className = 'num';
    rating.textContent = String(Math.round(player.rating));
    const waited = document.createElement('td');
    waited.className = 'num col-waited';
    waited.textContent = formatWait(player.waitedMs);
    row.append(who, rating, waited);
  }
  section.append(head, table);
  return section;
}
