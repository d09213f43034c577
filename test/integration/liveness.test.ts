import { expect } from 'chai';
import { WebSocket } from 'ws';
import { eventually } from '../support/broker.js';
import { startStack, type Stack } from '../support/stack.js';

describe('gateway liveness: ping/pong', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ without: ['matcher', 'notifier', 'recorder'], pingIntervalMs: 100 });
  });
  after(async () => {
    await stack?.stop();
  });

  it('drops a socket that stops answering pings, and keeps one that answers', async () => {
    const [silentPlayer, livePlayer] = [await stack.addPlayer('silent'), await stack.addPlayer('alive')];
    // A client whose network died: it receives pings but never pongs. A raw ws socket, not the
    // SDK: the SDK's socket always answers pings, and this client must be the one that does not.
    const dead = new WebSocket(stack.wsUrl(silentPlayer.token), { autoPong: false });
    const closed = new Promise<number>((resolve) => dead.on('close', resolve));
    const live = await stack.connect(livePlayer.token);
    await eventually('the gateway to hold both', () => stack.gateways[0]!.gateway.sessions.size === 2);
    expect(await closed).to.equal(1006);
    await eventually('the dead session forgotten', () => !stack.gateways[0]!.gateway.sessions.has(silentPlayer.id));
    expect(live.connected).to.equal(true);
    expect(stack.gateways[0]!.gateway.sessions.has(livePlayer.id)).to.equal(true);
  });
});
