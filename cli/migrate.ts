import { openMigratedDb } from '../common/db.js';
import { runCommand } from '../common/run-service.js';

await runCommand('migrate', async (config) => {
  const { db, applied } = await openMigratedDb(config.DATABASE_URL, 1);
  await db.destroy();
  process.stdout.write(applied.length ? `applied ${applied.join(', ')}\n` : 'already up to date\n');
});
