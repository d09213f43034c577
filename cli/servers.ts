import { parseArgs } from 'node:util';
import { openMigratedDb } from '../common/db.js';
import { runCommand, UsageError } from '../common/run-service.js';
import { addServerKey, listServerKeys, revokeServerKeys, SERVER_NAME } from '../common/server-keys.js';

const USAGE = 'usage: npm run servers -- add NAME | list | revoke NAME|KEY_ID';

/** Game servers' API keys: `add` prints a new key once, `list` every key (never a key itself), `revoke` refuses a name's live keys from now on. */
await runCommand('servers', async (config) => {
  const { positionals } = parseArgs({ allowPositionals: true, options: {} });
  const [verb, name, ...rest] = positionals;
  const takesName = verb === 'add' || verb === 'revoke';
  if (!(takesName || verb === 'list') || rest.length > 0 || (takesName ? !name : name !== undefined)) throw new UsageError(USAGE);
  if (takesName && !SERVER_NAME.test(name!)) throw new UsageError('NAME must be 1-64 letters, digits, _ . or -');

  const { db } = await openMigratedDb(config.DATABASE_URL, 1);
  const print = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);
  try {
    if (verb === 'add') {
      print(await addServerKey(db, name!));
    } else if (verb === 'revoke') {
      // One key by its id, or every live key of the name: one line each.
      const revoked = await revokeServerKeys(db, name!);
      if (revoked.length === 0) throw new UsageError(`no live key named ${name} or with that id`);
      revoked.forEach(print);
    } else {
      for (const key of await listServerKeys(db)) print(key);
    }
  } finally {
    await db.destroy();
  }
});
