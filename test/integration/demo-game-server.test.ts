import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createDemoGameServer } from '../../cli/demo-game-server.js';
import { connectAmqp, type AmqpConnectionManager } from '../../common/amqp.js';
import { amqpNames } from '../../common/names.js';
import { topologyFor } from '../../common/topology.js';
import { addServerKey } from '../../common/server-keys.js';
import { PlainBroker, eventually } from '../support/broker.js';
import { silent, startStack, type Stack } from '../support/stack.js';
import { roomWith } from '../support/rooms.js';

describe('demo game server (npm start) against the real pipeline', function () {
  this.timeout(30_000);
  let stack: Stack;
  let amqp: AmqpConnectionManager;
  let broker: PlainBroker;
  let demo: ReturnType<typeof createDemoGameServer>;

  before(async () => {
    stack = await startStack();
    amqp = await connectAmqp(stack.config.AMQP_URL, silent);
    broker = await PlainBroker.connect();
  });
  after(async () => {
    await demo?.stop();
    await amqp.close();
    await broker.close();
    await stack.stop();
  });

  it('plays each room of demo players and reports its result, so the next sign-in sees the new ratings; other rooms it leaves alone', async () => {
    const players = await Promise.all([1500, 1520, 1480].map((rating, index) => stack.addPlayer(`demo${index}`, rating)));
    const { key } = await addServerKey(stack.db, 'demo-game-server');
    demo = createDemoGameServer({
      match: stack.config.match,
      names: amqpNames(stack.config.MATCHQ_NAMESPACE),
      topology: topologyFor(stack.config),
      amqp,
      apiUrl: stack.httpUrl(''),
      key,
      playerIds: new Set(players.map((player) => player.id)),
      logger: silent,
      gameMs: [50, 100],
    });
    await demo.start();

    // A room of players the demo does not own: never reported.
    const stranger = roomWith(
      [0, 1, 2].map((index) => ({ playerId: randomUUID(), ticketId: randomUUID(), name: `x${index}`, rating: 1500, team: 0, waitedMs: 0 })),
    );
    broker.publishJson(amqpNames(stack.namespace).rooms, '', stranger, { messageId: stranger.id, type: 'room.v1' });

    const clients = await Promise.all(players.map((player) => stack.connect(player.token)));
    clients.forEach((client) => client.send({ type: 'join', mode: 'ffa3', region: 'global' }));
    const matched = await Promise.all(clients.map((client) => client.next('matched')));
    const roomId = (matched[0]!.room as { id: string }).id;

    const history = await eventually('the demo result applied', async () => {
      const rows = await stack.db('rating_history').where({ room_id: roomId }).orderBy('rank');
      return rows.length === 3 && rows;
    });
    expect(history.map((row) => row.rank)).to.deep.equal([1, 2, 3]);
    const winner = players.find((player) => player.id === history[0]!.player_id)!;
    expect(history[0]!.after).to.be.above(history[0]!.before);
    const again = await stack.connect(winner.token);
    const hello = again.frames.find((frame) => frame.type === 'hello')!;
    expect((hello.player as { ratings: Record<string, number> }).ratings.ffa3).to.equal(history[0]!.after);
    expect(await stack.db('results').where({ room_id: stranger.id }).first()).to.equal(undefined);
  });
});
