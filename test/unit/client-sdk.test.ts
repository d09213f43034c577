import { expect } from 'chai';
import fc from 'fast-check';
import { MatchqError, reconnectDelay, socketUrl } from '../../packages/client/src/index.js';

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
