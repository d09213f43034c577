import type { Knex } from 'knex';

/**
 * Results and the ratings they move. `results` is keyed by room, so a room's result is applied
 * once whatever retries or races; its `published_at` is the outbox of `matchq.results`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('results', (table) => {
    table.uuid('room_id').primary();
    table.string('mode', 32).notNullable();
    // The placements as one canonical string: the same result posted again compares equal.
    table.text('placements_key').notNullable();
    // The result.v1 message, text kept as written (json, not jsonb) so it is published byte for byte.
    table.json('event').notNullable();
    table.uuid('server_key_id');
    table.timestamp('at', { useTz: true }).notNullable();
    table.timestamp('published_at', { useTz: true });
  });
  await knex.raw('create index results_unpublished on results (at) where published_at is null');

  await knex.schema.createTable('ratings', (table) => {
    table.string('player_id', 64).notNullable();
    table.string('mode', 32).notNullable();
    table.double('mu').notNullable();
    table.double('sigma').notNullable();
    table.integer('games').notNullable().defaultTo(0);
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['player_id', 'mode']);
  });

  await knex.schema.createTable('rating_history', (table) => {
    table.uuid('room_id').notNullable();
    table.string('player_id', 64).notNullable();
    table.string('mode', 32).notNullable();
    table.integer('rank').notNullable();
    table.integer('before').notNullable();
    table.integer('after').notNullable();
    table.double('mu_before').notNullable();
    table.double('sigma_before').notNullable();
    table.double('mu_after').notNullable();
    table.double('sigma_after').notNullable();
    table.timestamp('at', { useTz: true }).notNullable();
    table.primary(['room_id', 'player_id']);
    table.index(['player_id', 'mode', 'at'], 'rating_history_player');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rating_history');
  await knex.schema.dropTable('ratings');
  await knex.schema.dropTable('results');
}
