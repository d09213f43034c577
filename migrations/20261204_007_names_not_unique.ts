import type { Knex } from 'knex';

/**
 * Names are labels, not identities: a player's is what others see (ids and tokens identify), and
 * a game server may hold several live keys under one name, to rotate them (add the new key, roll
 * the fleet, revoke the name's old ones). Player names now take up to 64 characters, as the
 * messages carrying them always did.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('players', (table) => {
    table.dropUnique(['name']);
  });
  await knex.raw('alter table players alter column name type varchar(64)');
  await knex.raw('drop index if exists server_keys_live_name');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('create unique index server_keys_live_name on server_keys (name) where revoked_at is null');
  await knex.raw('alter table players alter column name type varchar(32)');
  await knex.schema.alterTable('players', (table) => {
    table.unique(['name']);
  });
}
