import type { Knex } from 'knex';

/** The dashboard and the lobby read the latest rating changes every few seconds: newest first by `at`. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('rating_history', (table) => {
    table.index(['at'], 'rating_history_at');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('rating_history', (table) => {
    table.dropIndex(['at'], 'rating_history_at');
  });
}
