import type { Knex } from 'knex';

/** Game servers' API keys: only a hash is kept, the key is shown once by `servers add`. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('server_keys', (table) => {
    table.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    table.string('name', 64).notNullable();
    // sha-256 of a 256-bit random key.
    table.string('key_hash', 64).notNullable().unique();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('revoked_at', { useTz: true });
  });
  // One live key per name, so `servers revoke NAME` means one key; a revoked name may be reused.
  await knex.raw('create unique index server_keys_live_name on server_keys (name) where revoked_at is null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('server_keys');
}
