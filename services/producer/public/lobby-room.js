// Drawing a room: one table per team, the player's own row marked (aria-current), avatars by name.

export function initials(name) {
  return (name || '?').replace(/[^a-z0-9]/gi, '').slice(0, 2) || '?';
}

export function avatarColor(name) {
  let hash = 0;
  for (const char of name || '') hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  // Dark enough for white initials (contrast ≥ 4.5:1).
  return `hsl(${hash % 360} 55% 38%)`;
}

export function avatar(name, className = 'avatar') {
  const element = document.createElement('span');
  element.className = className;
  element.setAttribute('aria-hidden', 'true');
  element.textContent = initials(name);
  element.style.setProperty('--avatar', avatarColor(name));
  return element;
}

export function formatWait(ms) {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

export function renderTeam(room, team, many, myId) {
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
  table.innerHTML = '<thead><tr><th scope="col">Player</th><th scope="col" class="num">Rating</th><th scope="col" class="num col-waited">Waited</th></tr></thead>';
  const body = document.createElement('tbody');
  for (const player of players) {
    const row = document.createElement('tr');
    row.dataset.playerId = player.playerId;
    const mine = player.playerId === myId;
    if (mine) row.setAttribute('aria-current', 'true');
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
    }
    who.append(cell);
    const rating = document.createElement('td');
    rating.className = 'num';
    rating.textContent = String(Math.round(player.rating));
    const waited = document.createElement('td');
    waited.className = 'num col-waited';
    waited.textContent = formatWait(player.waitedMs);
    row.append(who, rating, waited);
    body.append(row);
  }
  table.append(body);
  section.append(head, table);
  return section;
}
