import { expect } from 'chai';
import fc from 'fast-check';
import { TurnBatch } from '../../common/turn-batch.js';

interface Item {
  group: string;
  value: number;
}

/** A batch flushed by hand, recording every call it makes. */
function recorded(max: number, failing: Set<string> = new Set()) {
  const calls: Item[][] = [];
  let flush: (() => void) | undefined;
  const batch = new TurnBatch<Item, number>(
    async (items) => {
      calls.push(items);
      if (failing.has(items[0]!.group)) throw new Error(`group ${items[0]!.group} failed`);
      return items.map((item) => item.value * 10);
    },
    (item) => item.group,
    max,
    (run) => {
      flush = run;
    },
  );
  return { batch, calls, flush: () => flush?.() };
}

describe('turn batch: the calls of one turn, together', () => {
  it('sends one call per group and at most max items each, in the order added, and answers each caller with its own item', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ group: fc.constantFrom('a', 'b', 'c'), value: fc.integer() }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        async (items, max) => {
          const { batch, calls, flush } = recorded(max);
          const answers = items.map((item) => batch.add(item));
          expect(calls, 'nothing sent before the turn ends').to.deep.equal([]);
          flush();
          expect(await Promise.all(answers)).to.deep.equal(items.map((item) => item.value * 10));
          for (const call of calls) {
            expect(call.length).to.be.within(1, max);
            expect(new Set(call.map((item) => item.group)).size, 'one group a call').to.equal(1);
          }
          for (const group of ['a', 'b', 'c']) {
            const sent = calls.filter((call) => call[0]!.group === group);
            const expected = items.filter((item) => item.group === group);
            expect(sent.flat(), `group ${group} in order`).to.deep.equal(expected);
            expect(sent.length, `group ${group} in as few calls as max allows`).to.equal(Math.ceil(expected.length / max));
          }
        },
      ),
    );
  });

  it('fails the callers of a failed call, and only them', async () => {
    const { batch, flush } = recorded(2, new Set(['b']));
    const answers = [
      batch.add({ group: 'a', value: 1 }),
      batch.add({ group: 'b', value: 2 }),
      batch.add({ group: 'b', value: 3 }),
      batch.add({ group: 'a', value: 4 }),
    ];
    flush();
    const settled = await Promise.allSettled(answers);
    expect(settled.map((result) => result.status)).to.deep.equal(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(settled[0]).to.deep.include({ value: 10 });
  });

  it('starts a new batch for what is added after a flush', async () => {
    const { batch, calls, flush } = recorded(10);
    const first = batch.add({ group: 'a', value: 1 });
    flush();
    const second = batch.add({ group: 'a', value: 2 });
    flush();
    expect(await Promise.all([first, second])).to.deep.equal([10, 20]);
    expect(calls).to.have.length(2);
  });

  it('refuses a batch of less than one item', () => {
    expect(
      () =>
        new TurnBatch(
          async () => [],
          () => '',
          0,
        ),
    ).to.throw(RangeError);
  });
});
