import type { TicketStore } from '../../common/ticket-store.js';

/**
 * What one pool needs of Redis: read tickets' states and kept rooms, claim rooms, expire
 * tickets, watch the pool's epoch. The real TicketStore is one; unit tests use an in-memory twin
 * (test/support/fake-pool-io.ts) that follows the same Lua semantics.
 */
export type PoolStore = Pick<TicketStore, 'states' | 'room' | 'claimRooms' | 'expire' | 'epoch'>;
