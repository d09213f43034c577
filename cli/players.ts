import { parseArgs } from 'node:util';
import { openMigratedDb } from '../common/db.js';
import { addPlayer } from '../common/players.js';
import { runCommand, UsageError } from '../common/run-service.js';

const USAGE = 'usage: npm run players -- add NAME [--rating N]';
const PLAYER_NAME = /^[^\p{C}]{1,64}$/u;

await runCommand('players', async (config) => {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { rating: { type: 'string', default: '1500' } } });
  const [verb, name, ...rest] = positionals;
  if (verb !== 'add' || !name || rest.length > 0) throw new UsageError(USAGE);
  // What other players see: any printable text up to 64 characters; names need not be unique.
  if (!PLAYER_NAME.test(name) || name.trim() !== name) throw new UsageError('NAME must be 1-64 printable characters, without spaces at either end');
  const rating = Number(values.rating);
  if (!Number.isInteger(rating) || rating < 0 || rating > 10_000) throw new UsageError('--rating must be an integer from 0 to 10000');

  const { db } = await openMigratedDb(config.DATABASE_URL, 1);
  try {
    const player = await addPlayer(db, name, rating);
    process.stdout.write(`${JSON.stringify(player)}\n`);
  } finally {
    await db.destroy();
  }
});
