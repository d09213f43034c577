import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Knex } from 'knex';
import { addPlayer, hashToken, playerByToken, type Player } from '../common/players.js';
import { randomBytes } from 'node:crypto';
import { addServerKey, revokeServerKeys, serverByKey } from '../common/server-keys.js';

/** The name of the demo game server's key (`npm run servers -- list` shows it). */
const DEMO_SERVER_NAME = 'demo-game-server';

type DemoPlayer = Player & { token: string };

/** Close enough to meet at once, plus a far group that shows the window widening. */
const DEMO_PLAYERS: [string, number][] = [
  ['ada', 1500],
  ['bob', 1520],
  ['cyd', 1480],
  ['dee', 1900],
  ['eve', 1880],
  ['fay', 1700],
];

/**
 * The demo players `npm start` offers in the lobby. Tokens are stored hashed, so the plain ones
 * live in a local file that is git-ignored. The file names the demo players by id: a player of
 * the same name made with `npm run players -- add ada` is someone else's, and keeps its token
 * (names are labels). A saved player whose token went stale gets a fresh one; one the database
 * no longer holds (or a lost file) is created anew.
 */
export async function ensureDemoPlayers(db: Knex, file: string): Promise<{ players: DemoPlayer[]; created: boolean }> {
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DemoPlayer[]) : [];
  const valid = await Promise.all(saved.map(async (player) => (await playerByToken(db, player.token))?.id === player.id));
  if (saved.length === DEMO_PLAYERS.length && valid.every(Boolean)) return { players: saved, created: false };
  const players: DemoPlayer[] = [];
  for (const [name, rating] of DEMO_PLAYERS) {
    const index = saved.findIndex((player) => player.name === name);
    const mine = index >= 0 && (await db('players').where({ id: saved[index]!.id }).first('id', 'name', 'rating'));
    if (mine && valid[index]) players.push(saved[index]!);
    else if (mine) {
      const token = randomBytes(32).toString('base64url');
      await db('players')
        .where({ id: mine.id })
        .update({ token_hash: hashToken(token) });
      players.push({ ...(mine as Player), token });
    } else players.push(await addPlayer(db, name, rating));
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(players, null, 2)}\n`, { mode: 0o600 });
  return { players, created: true };
}

/** The demo game server's key: reused while it is still live, else a fresh one (the old one revoked). */
export async function ensureDemoServerKey(db: Knex, file: string): Promise<void> {
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { key?: string };
    if (saved.key && (await serverByKey(db, saved.key))) return;
  }
  await revokeServerKeys(db, DEMO_SERVER_NAME);
  const created = await addServerKey(db, DEMO_SERVER_NAME);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(created)}\n`, { mode: 0o600 });
}
