import { expect } from 'chai';
import { startStack, type Stack } from '../support/stack.js';

describe('stack smoke', () => {
  let stack: Stack;
  before(async () => { stack = await startStack(); });
  after(async () => { await stack?.stop(); });

  it('matches three players', async () => {
    const players = await Promise.all(['a', 'b', 'c'].map((name) => stack.addPlayer(name, 1500)));
    const clients = await Promise.all(players.map((player) => stack.connect(player.token)));
    clients.forEach((client) => client.send({ type: 'join', mode: 'ffa3', region: 'global' }));
    const rooms = await Promise.all(clients.map((client) => client.next('matched')));
    expect(new Set(rooms.map((frame) => (frame.room as { id: string }).id)).size).to.equal(1);
  });
});
