import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { amqpNames } from '../../common/names.js';
import { addServerKey } from '../../common/server-keys.js';
import { PlainBroker, eventually } from '../support/broker.js';
import { claimAsMatcher } from '../support/claims.js';
import { startStack, type Stack } from '../support/stack.js';
import { roomWith } from '../support/rooms.js';

/** Fuzzing the server API: arbitrary bodies and paths get a 4xx with a reason, never a 500 or a crash. */
describe('fuzzing: the server API takes any body and any room path', function () {
  this.timeout(120_000);
  let stack: Stack;
  let broker: PlainBroker;
  let key: string;
  let room: { id: string; players: { playerId: string }[] };

  before(async () => {
    stack = await startStack({ without: ['matcher', 'notifier'] });
    broker = await PlainBroker.connect();
    key = (await addServerKey(stack.db, 'fuzz-fleet')).key;
    const players = await Promise.all(['fa', 'fb', 'fc'].map((name) => stack.addPlayer(`fuzz-${name}`)));
    const event = roomWith(
      players.map((player) => ({ playerId: player.id, ticketId: randomUUID(), name: player.name, rating: player.rating, team: 0, waitedMs: 10 })),
    );
    await claimAsMatcher(stack.namespace, event);
    broker.publishJson(amqpNames(stack.namespace).rooms, '', event, { messageId: event.id, type: 'room.v1' });
    await eventually('the room recorded', () => stack.db('rooms').where({ id: event.id }).first());
    room = event;
  });
  after(async () => {
    await broker?.close();
    await stack?.stop();
  });

  const post = (body: string) =>
    fetch(stack.httpUrl('/v1/results'), { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });

  it('POST /v1/results: any body is answered 200, 400, 404, 409 or 413 with a JSON error, never 500', async () => {
    const playerId = fc.oneof(fc.constantFrom(...room.players.map((player) => player.playerId)), fc.string(), fc.anything());
    const placements = fc.array(fc.record({ playerId, rank: fc.oneof(fc.integer({ min: -3, max: 5 }), fc.double(), fc.anything()) }, { requiredKeys: [] }), {
      maxLength: 5,
    });
    const body = fc.oneof(
      fc.string(),
      fc.json(),
      fc.anything().map((value) => JSON.stringify(value) ?? 'null'),
      fc
        .record(
          { roomId: fc.oneof(fc.constant(room.id), fc.uuid(), fc.string(), fc.anything()), placements: fc.oneof(placements, fc.anything()) },
          { requiredKeys: [] },
        )
        .map((value) => JSON.stringify(value)),
    );
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const response = await post(text);
        expect([200, 400, 404, 409, 413], `${response.status} for ${text.slice(0, 200)}`).to.include(response.status);
        const answer = (await response.json()) as Record<string, unknown>;
        if (response.status !== 200) expect(answer.error, text.slice(0, 200)).to.be.a('string').and.not.equal('');
      }),
      { numRuns: 150 },
    );
    expect((await fetch(stack.httpUrl('/healthz'))).status).to.equal(200);
  });

  it('GET /v1/rooms/ID: any id is answered 200, 400 or 404, never 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uuid(), fc.string({ minLength: 1 }), fc.constantFrom('__proto__', 'constructor', '..%2F..', '%00')), async (id) => {
        const response = await fetch(stack.httpUrl(`/v1/rooms/${encodeURIComponent(id)}`), { headers: { authorization: `Bearer ${key}` } });
        expect([200, 400, 404], `${response.status} for ${id}`).to.include(response.status);
      }),
      { numRuns: 100 },
    );
  });
});
