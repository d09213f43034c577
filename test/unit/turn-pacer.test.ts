import { expect } from 'chai';
import fc from 'fast-check';
import { TurnPacer } from '../../services/producer/turn-pacer.js';

/** A pacer whose turns are stepped by hand, recording which turn each pass came in. */
function stepped(perTurn: number, maxWaitMs = Infinity) {
  let next: (() => void) | undefined;
  const clock = { ms: 0 };
  const pacer = new TurnPacer(
    perTurn,
    maxWaitMs,
    (run) => {
      next = run;
    },
    () => clock.ms,
  );
  let turn = 0;
  const passedIn: number[] = [];
  const ask = (id: number) =>
    pacer.pass().then(() => {
      passedIn[id] = turn;
    });
  /** Ends this turn: the scheduled step runs, then the promise jobs it started. */
  const endTurn = async () => {
    turn += 1;
    const run = next;
    next = undefined;
    run?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { pacer, ask, endTurn, passedIn, clock, pending: () => next !== undefined };
}

describe('turn pacer: a burst spread over event-loop turns', () => {
  it('lets at most perTurn pass a turn, in the order asked, and every one passes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 6 }),
        async (perTurn, askedPerTurn) => {
          const { ask, endTurn, passedIn, pacer } = stepped(perTurn);
          let id = 0;
          const all: Promise<void>[] = [];
          for (const asked of askedPerTurn) {
            for (let index = 0; index < asked; index++) all.push(ask(id++));
            await Promise.resolve();
            await endTurn();
          }
          while (pacer.backlog > 0) await endTurn();
          await Promise.all(all);
          expect(passedIn).to.have.length(id);
          // In order: a later ask never passes in an earlier turn.
          for (let index = 1; index < id; index++) expect(passedIn[index]).to.be.at.least(passedIn[index - 1]!);
          const perTurnCounts = new Map<number, number>();
          for (const turn of passedIn) perTurnCounts.set(turn, (perTurnCounts.get(turn) ?? 0) + 1);
          for (const count of perTurnCounts.values()) expect(count).to.be.at.most(perTurn);
        },
      ),
    );
  });

  it('passes at once while the turn has room and nobody waits; the rest wait for the next turns', async () => {
    const { ask, endTurn, passedIn, pacer, pending } = stepped(2);
    const all = [ask(0), ask(1), ask(2), ask(3), ask(4)];
    await Promise.resolve();
    expect(passedIn).to.deep.equal([0, 0]);
    expect(pacer.backlog).to.equal(3);
    await endTurn();
    expect(passedIn).to.deep.equal([0, 0, 1, 1]);
    await endTurn();
    await Promise.all(all);
    expect(passedIn).to.deep.equal([0, 0, 1, 1, 2]);
    // Quiet again: the count starts over, and a pass goes at once.
    await endTurn();
    expect(pending()).to.equal(false);
    await ask(5);
    expect(passedIn[5]).to.equal(3);
  });

  it('lets every pass that waited maxWaitMs through in the next turn, beyond the share, still in order', async () => {
    const { ask, endTurn, passedIn, pacer, clock } = stepped(2, 100);
    const early = [0, 1, 2, 3, 4, 5].map((id) => ask(id));
    await Promise.resolve();
    expect(passedIn).to.deep.equal([0, 0]);
    clock.ms = 60;
    const late = [6, 7].map((id) => ask(id));
    // A slow turn: 100 ms on, the four left from time 0 are overdue and go together; 6 and 7 wait their share.
    clock.ms = 100;
    await endTurn();
    expect(passedIn.slice(0, 6)).to.deep.equal([0, 0, 1, 1, 1, 1]);
    expect(passedIn[6]).to.equal(undefined);
    expect(pacer.backlog).to.equal(2);
    await endTurn();
    await Promise.all([...early, ...late]);
    expect(passedIn.slice(6)).to.deep.equal([2, 2]);
  });

  it('keeps no pass it gave while a backlog never empties: what is left waiting is all it holds', async () => {
    const { ask, endTurn, pacer } = stepped(100);
    const all: Promise<void>[] = [];
    let id = 0;
    // 150 asked a turn, 100 let through: the backlog grows by 50 a turn and never empties.
    for (let turn = 0; turn < 40; turn++) {
      for (let index = 0; index < 150; index++) all.push(ask(id++));
      await endTurn();
    }
    const held = (pacer as unknown as { waiting: unknown[] }).waiting.length;
    expect(held, 'entries held').to.be.at.most(2 * pacer.backlog + 1024);
    while (pacer.backlog > 0) await endTurn();
    await Promise.all(all);
  });

  it('refuses a turn that lets nothing pass', () => {
    expect(() => new TurnPacer(0, 100)).to.throw(RangeError);
    expect(() => new TurnPacer(1.5, 100)).to.throw(RangeError);
  });

  it('with setImmediate, lets a timer that fell due run between two slices of a burst', async () => {
    const pacer = new TurnPacer(10, Infinity);
    const order: string[] = [];
    const spin = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    // 20 slices of 10 passes, 0.1 ms each: the 1 ms timer falls due within the burst and runs
    // in the loop's next iteration, before the next slice, as a socket's data would.
    setTimeout(() => order.push('timer'), 1);
    const burst = Array.from({ length: 200 }, (_, index) =>
      pacer.pass().then(() => {
        spin(0.1);
        order.push(`work ${index}`);
      }),
    );
    await Promise.all(burst);
    const timer = order.indexOf('timer');
    expect(timer, 'the timer ran before the burst ended')
      .to.be.above(0)
      .and.below(order.length - 1);
  });
});
