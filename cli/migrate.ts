import { checkDb, createDb, ensureDatabase, migrateLatest } from '../common/db.js';
import { runCommand } from '../common/run-service.js';

await runCommand('migrate', async (config) => {
  await ensureDatabase(config.DATABASE_URL);
  const db = createDb(config.DATABASE_URL, 1);
  try {
    await checkDb(db, config.DATABASE_URL);
    const applied = await migrateLatest(db);
    process.stdout.write(applied.length ? `applied ${applied.join(', ')}\n` : 'already up to date\n');
  } finally {
    await db.destroy();
  }
});
