import type { Knex } from 'knex';

/** The room history analysts query: one row a room, one row a seat. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rooms', (table) => {
    table.uuid('id').primary();
    table.string('mode', 32).notNullable();
    table.string('region', 32).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.integer('spread').notNullable();
    table.integer('imbalance').notNullable();
    table.integer('size').notNullable();
    table.jsonb('event').notNullable();
    table.timestamp('recorded_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.index(['created_at'], 'rooms_created_at');
    table.index(['mode', 'region', 'created_at'], 'rooms_pool_created_at');
  });
  await knex.schema.createTable('room_players', (table) => {
    table.uuid('room_id').notNullable().references('rooms.id').onDelete('cascade');
    table.string('player_id', 64).notNullable();
    table.string('ticket_id', 64).notNullable();
    table.string('name', 64).notNullable();
    table.integer('rating').notNullable();
    table.integer('team').notNullable();
    table.integer('waited_ms').notNullable();
    table.primary(['room_id', 'player_id']);
    table.unique(['ticket_id']);
    table.index(['player_id', 'room_id'], 'room_players_player');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('room_players');
  await knex.schema.dropTable('rooms');
}
