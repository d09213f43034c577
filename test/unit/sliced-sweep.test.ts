import { expect } from 'chai';
import fc from 'fast-check';
import { SlicedSweep } from '../../services/producer/sliced-sweep.js';

const ops = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('add' as const), member: fc.integer({ min: 0, max: 40 }) }),
    fc.record({ kind: fc.constant('delete' as const), member: fc.integer({ min: 0, max: 40 }) }),
    fc.record({ kind: fc.constant('step' as const) }),
  ),
  { maxLength: 300 },
);

describe('SlicedSweep: a set visited one slice per step', () => {
  it('visits every member exactly once in every run of `slices` steps while it stays, and never after its delete', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), ops, (slices, script) => {
        const sweep = new SlicedSweep<number>(slices);
        const step = sweep.walker();
        const members = new Set<number>();
        // The steps at which each member was visited, since it was last added.
        const visits = new Map<number, number[]>();
        const addedAt = new Map<number, number>();
        let steps = 0;
        for (const op of script) {
          if (op.kind === 'add') {
            if (!members.has(op.member)) {
              members.add(op.member);
              visits.set(op.member, []);
              addedAt.set(op.member, steps);
            }
            sweep.add(op.member);
          } else if (op.kind === 'delete') {
            members.delete(op.member);
            sweep.delete(op.member);
          } else {
            step((member) => {
              expect(members.has(member), `${member} visited while not a member`).to.equal(true);
              visits.get(member)!.push(steps);
            });
            steps += 1;
          }
          expect(sweep.size).to.equal(members.size);
        }
        for (const member of members) {
          const seen = visits.get(member)!;
          // The first within `slices` steps of the add, then exactly `slices` steps apart, none missed at the end.
          const added = addedAt.get(member)!;
          if (seen.length === 0) expect(steps - added).to.be.at.most(slices - 1);
          else {
            expect(seen[0]! - added).to.be.lessThan(slices);
            for (let index = 1; index < seen.length; index++) expect(seen[index]! - seen[index - 1]!).to.equal(slices);
            expect(steps - 1 - seen.at(-1)!).to.be.lessThan(slices);
          }
        }
      }),
    );
  });

  it('deals members to slices in turn, so a step visits about size / slices of them', () => {
    const sweep = new SlicedSweep<number>(4);
    for (let member = 0; member < 10; member++) sweep.add(member);
    const step = sweep.walker();
    const sizes = Array.from({ length: 4 }, () => {
      let count = 0;
      step(() => (count += 1));
      return count;
    });
    expect(sizes).to.deep.equal([3, 3, 2, 2]);
  });

  it('gives each walker a pace of its own over the same members', () => {
    const sweep = new SlicedSweep<number>(2);
    for (let member = 0; member < 4; member++) sweep.add(member);
    const [fast, slow] = [sweep.walker(), sweep.walker()];
    const seen = (walk: ReturnType<typeof sweep.walker>) => {
      const visited: number[] = [];
      walk((member) => visited.push(member));
      return visited;
    };
    expect([seen(fast), seen(fast), seen(fast)]).to.deep.equal([
      [0, 2],
      [1, 3],
      [0, 2],
    ]);
    expect(seen(slow), 'the second walker starts at the first slice, whatever the first did').to.deep.equal([0, 2]);
  });

  it('refuses a slice count that is not a positive integer', () => {
    expect(() => new SlicedSweep(0)).to.throw(RangeError);
    expect(() => new SlicedSweep(1.5)).to.throw(RangeError);
  });
});
