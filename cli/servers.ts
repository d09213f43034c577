import { parseArgs } from 'node:util';
import { openMigratedDb } from '../common/db.js';
import { runCommand, UsageError } from '../common/run-service.js';
import { addServerKey, DuplicateServerName, listServerKeys, revokeServerKey, SERVER_NAME } from '../common/server-keys.js';

const USAGE = 'usage: npm run servers -- add NAME | list | revoke NAME';

/** Game servers' API keys: `add` prints the key once, `list` every key (never a key itself), `revoke` refuses it from now on. */
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
      print(
        await addServerKey(db, name!).catch((error: Error) => {
          throw error instanceof DuplicateServerName ? new UsageError(error.message) : error;
        }),
      );
    } else if (verb === 'revoke') {
      const revoked = await revokeServerKey(db, name!);
      if (!revoked) throw new UsageError(`no live key named ${name}`);
      print(revoked);
    } else {
      for (const key of await listServerKeys(db)) print(key);
    }
  } finally {
    await db.destroy();
  }
});
