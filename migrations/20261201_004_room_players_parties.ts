import type { Knex } from 'knex';

/**
 * Parties in the room history (contract v1.1): each seat's party (null: solo) and the rating
 * the rule used (the party's for a member). The members of a party share one ticket, so a
 * ticket id is now unique per player, not per row.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('room_players', (table) => {
    table.string('party_id', 64).nullable();
    table.integer('match_rating').nullable();
    table.dropUnique(['ticket_id']);
    table.unique(['ticket_id', 'player_id']);
    table.index(['party_id'], 'room_players_party');
  });
  // Every seat recorded before parties was a solo ticket matched at its own rating.
  await knex('room_players')
    .whereNull('match_rating')
    .update({ match_rating: knex.ref('rating') });
  await knex.schema.alterTable('room_players', (table) => {
    table.integer('match_rating').notNullable().alter();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('room_players', (table) => {
    table.dropIndex(['party_id'], 'room_players_party');
    table.dropUnique(['ticket_id', 'player_id']);
    table.unique(['ticket_id']);
    table.dropColumn('match_rating');
    table.dropColumn('party_id');
  });
}
