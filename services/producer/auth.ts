import type { IncomingMessage } from 'node:http';
import type { Knex } from 'knex';
import { playerByToken, type Player } from '../../common/players.js';

/** The player a WebSocket upgrade speaks for, from `?token=`; undefined for a missing or wrong token. */
export async function authenticate(db: Knex, req: IncomingMessage): Promise<Player | undefined> {
  const token = new URL(req.url ?? '/', 'http://gateway').searchParams.get('token');
  return token ? playerByToken(db, token) : undefined;
}
