import { expect } from 'chai';
import { Redis } from 'ioredis';
import { redisKeys } from '../../common/names.js';
import { createTicketStore } from '../../common/ticket-store.js';
import { REDIS_URL } from '../support/namespace.js';
import { startStack, type Stack } from '../support/stack.js';

/** Names every JavaScript object inherits: a client's word must never find them in a config record. */
const INHERITED = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];

describe('hostile joins: mode and region are looked up as own keys only', () => {
  let stack: Stack;
  let redis: Redis;
  let seq = 0;
  before(async () => {
    stack = await startStack({ without: ['matcher', 'recorder'] });
    redis = new Redis(REDIS_URL);
  });
  after(async () => {
    redis?.disconnect();
    await stack?.stop();
  });

  const ticketKeys = async () => await redis.keys(`${stack.namespace}:*:ticket:*`);

  for (const mode of INHERITED) {
    it(`answers mode "${mode}" with unknown_mode and writes nothing to Redis`, async () => {
      const client = await stack.connect((await stack.addPlayer(`h${++seq}`)).token);
      client.send({ type: 'join', mode, region: 'global', id: 1 });
      expect(await client.next('error')).to.include({ code: 'unknown_mode', id: 1 });
      expect(await ticketKeys()).to.deep.equal([]);
      client.send({ type: 'join', mode: 'ffa3', region: mode, id: 2 });
      expect(await client.next('error')).to.include({ code: 'unknown_region', id: 2 });
      expect(await ticketKeys()).to.deep.equal([]);
      client.close();
    });
  }

  it('never leaves a ticket hash behind when open fails, and never one without an expiry', async () => {
    const store = createTicketStore(redis, redisKeys(stack.namespace));
    const ticket = { ticketId: 'half-written', mode: 'ffa3', region: 'global', playerId: 'p-half', rating: 1500, joinedAt: Date.now() };
    const failed = await store.open(ticket, null, Number.NaN).then(
      () => null,
      (error: Error) => error,
    );
    expect(failed, 'open with a TTL that is no number').to.be.instanceOf(Error);
    expect(await ticketKeys()).to.deep.equal([]);
    expect(await redis.exists(store.keys.playerTicket('p-half'))).to.equal(0);
    expect(await store.open(ticket, null, 60)).to.equal(true);
    const key = store.keys.ticket('ffa3', 'global', 'half-written');
    expect(await redis.ttl(key)).to.be.within(1, 60);
    await redis.del(key, store.keys.playerTicket('p-half'));
  });
});
