import { expect } from 'chai';
import fc from 'fast-check';
import { connect, MatchqError, reconnectDelay, socketUrl, type ClientEvents, type MatchqClient, type WebSocketLike } from '../../packages/client/src/index.js';
import { eventually } from '../support/broker.js';

describe('@matchq/client pieces', () => {
  it('draws each reconnect delay evenly below a ceiling that doubles up to maxMs', () => {
    fc.assert(
      fc.property(
        fc.nat(60),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 60_000 }),
        (attempt, draw, baseMs, maxMs) => {
          const delay = reconnectDelay(attempt, { baseMs, maxMs }, () => draw);
          const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
          expect(delay).to.be.at.least(0).and.below(Math.max(1, ceiling));
          expect(delay).to.equal(Math.floor(draw * ceiling));
        },
      ),
    );
    expect(reconnectDelay(3, {}, () => 0.999)).to.equal(1998);
    expect(reconnectDelay(99, {}, () => 0.5)).to.equal(5000);
  });

  it('builds the socket URL from a gateway URL, with or without /ws, the token escaped', () => {
    expect(socketUrl('ws://localhost:8080', 'a b/c')).to.equal('ws://localhost:8080/ws?token=a+b%2Fc');
    expect(socketUrl('wss://play.example/ws', 't')).to.equal('wss://play.example/ws?token=t');
    expect(socketUrl('ws://h:1/matchq/ws?token=old', 't')).to.equal('ws://h:1/matchq/ws?token=t');
  });

  it('turns an error frame into a MatchqError with its code, id and, for cooling_down, retryInMs', () => {
    const error = new MatchqError({ type: 'error', code: 'cooling_down', message: 'you declined', retryInMs: 3000, id: 'c4' });
    expect(error)
      .to.be.instanceOf(Error)
      .and.include({ name: 'MatchqError', code: 'cooling_down', retryInMs: 3000, requestId: 'c4', message: 'cooling_down: you declined' });
  });
});

/**
 * A stand-in for the WebSocket library (not for any of our code): the test plays the server's
 * side by calling `onopen` and `onmessage` itself, and reads what the client sent.
 */
class ScriptedSocket implements WebSocketLike {
  static last: ScriptedSocket | undefined;
  readyState = 0;
  readonly sent: string[] = [];
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  constructor(readonly url: string) {
    ScriptedSocket.last = this;
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(code = 1000, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(frame: object | string): void {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }
}

describe('@matchq/client events and its lean path', () => {
  const HELLO = { type: 'hello', player: { id: 'p', name: 'ada', rating: 1500 }, modes: ['ffa3'], regions: ['global'] };
  const BROKEN_SEARCHING = '{"type":"searching","ticketId":"t","waitedMs":-5,"window":1}';
  const opened = async (options: { validate?: boolean } = {}) => {
    const client = connect('ws://gateway', 'token', { WebSocket: ScriptedSocket, reconnect: false, ...options });
    await eventually('the socket made', () => ScriptedSocket.last?.url.startsWith('ws://gateway/ws?token=token') === true);
    const socket = ScriptedSocket.last!;
    ScriptedSocket.last = undefined;
    socket.open();
    socket.receive(HELLO);
    return { client, socket };
  };
  const record = <K extends keyof ClientEvents>(client: MatchqClient, type: K) => {
    const seen: ClientEvents[K][] = [];
    client.on(type, (event) => seen.push(event));
    return seen;
  };

  it('sends a frame as it is (its own id kept) only while open, and tells every frame after its own event', async () => {
    const { client, socket } = await opened();
    const frames = record(client, 'frame');
    expect(client.connected).to.equal(true);
    expect(client.send({ type: 'join', mode: 'ffa3', region: 'global', id: 7 })).to.equal(true);
    expect(socket.sent).to.deep.equal(['{"type":"join","mode":"ffa3","region":"global","id":7}']);
    socket.receive({ type: 'queued', ticketId: 't', mode: 'ffa3', region: 'global', rating: 1500, id: 7 });
    expect(frames.map((frame) => frame.type)).to.deep.equal(['queued']);
    expect(client.ticket?.ticketId).to.equal('t');
    client.close();
    expect(client.connected).to.equal(false);
    expect(client.send({ type: 'leave' })).to.equal(false);
    expect(socket.sent).to.have.length(1);
  });

  it('tells a frame of an unknown type apart from one that breaks its schema, and delivers neither', async () => {
    const { client, socket } = await opened();
    const [unknown, invalid, frames] = [record(client, 'unknown'), record(client, 'invalid'), record(client, 'frame')];
    socket.receive({ type: 'party.v9', x: 1 });
    socket.receive({ type: 'queued', ticketId: 't' });
    expect(unknown).to.deep.equal([{ type: 'party.v9', text: '{"type":"party.v9","x":1}' }]);
    expect(invalid.map((event) => event.text)).to.deep.equal(['{"type":"queued","ticketId":"t"}']);
    expect(frames).to.deep.equal([]);
  });

  it('leaves a searching frame unread while nobody listens to it, and reads it once someone does', async () => {
    const { client, socket } = await opened();
    const invalid = record(client, 'invalid');
    socket.receive(BROKEN_SEARCHING);
    expect(invalid, 'not even parsed').to.deep.equal([]);
    const searching = record(client, 'searching');
    socket.receive(BROKEN_SEARCHING);
    socket.receive({ type: 'searching', ticketId: 't', waitedMs: 5, window: 1 });
    expect(invalid.map((event) => event.text)).to.deep.equal([BROKEN_SEARCHING]);
    expect(searching).to.deep.equal([{ type: 'searching', ticketId: 't', waitedMs: 5, window: 1 }]);
  });

  it("delivers a ticket's end once: the same end told again after a gateway died is only told as retold", async () => {
    const { client, socket } = await opened({ validate: false });
    const [left, matched, retold, frames] = [record(client, 'left'), record(client, 'matched'), record(client, 'retold'), record(client, 'frame')];
    socket.receive({ type: 'queued', ticketId: 't', mode: 'ffa3', region: 'global', rating: 1500 });
    socket.receive({ type: 'left', ticketId: 't', reason: 'cancelled' });
    socket.receive({ type: 'left', ticketId: 't', reason: 'cancelled' });
    socket.receive({ type: 'matched', ticketId: 'u', room: { id: 'r' } });
    socket.receive({ type: 'matched', ticketId: 'u', room: { id: 'r' } });
    expect(left).to.deep.equal([{ type: 'left', ticketId: 't', reason: 'cancelled' }]);
    expect(matched.map((frame) => frame.ticketId)).to.deep.equal(['u']);
    expect(retold.map((frame) => `${frame.type} ${frame.ticketId}`)).to.deep.equal(['left t', 'matched u']);
    expect(frames.map((frame) => frame.type)).to.deep.equal(['queued', 'left', 'matched']);
  });

  it('with validate: false trusts the server: a frame is delivered as its JSON, unknown types still ignored', async () => {
    const { client, socket } = await opened({ validate: false });
    const [searching, unknown] = [record(client, 'searching'), record(client, 'unknown')];
    socket.receive(BROKEN_SEARCHING);
    socket.receive({ type: 'dance' });
    expect(searching).to.deep.equal([JSON.parse(BROKEN_SEARCHING)]);
    expect(unknown.map((event) => event.type)).to.deep.equal(['dance']);
  });
});
