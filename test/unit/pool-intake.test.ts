import { expect } from 'chai';
import type { ConsumeMessage } from 'amqplib';
import { InvalidMessage, type JoinRequest } from '../../common/messages.js';
import { PoolIntake, ticketOf } from '../../services/matcher/pool-intake.js';
import type { ModeRule } from '../../core/types.js';

const rule: ModeRule = { teams: 2, teamSize: 3, window: { initial: 0, perSecond: 50, max: Infinity }, maxWaitSeconds: 60 };
const members = [
  { playerId: 'a', name: 'ada', rating: 1500 },
  { playerId: 'b', name: 'bob', rating: 1601 },
  { playerId: 'c', name: 'cyd', rating: 1400 },
];
const join = (extra: Partial<JoinRequest> = {}): JoinRequest => ({
  v: 1,
  type: 'join',
  ticketId: 't1',
  playerId: 'a',
  name: 'ada',
  rating: 1500,
  mode: 'trio',
  region: 'eu',
  joinedAt: 7,
  ...extra,
});

describe('pool intake', () => {
  it('turns a solo join into a one-player ticket at its own rating', () => {
    expect(ticketOf(join(), rule)).to.deep.equal({ ticketId: 't1', playerId: 'a', rating: 1500, joinedAt: 7 });
  });

  it("turns a party's join into one ticket at the party's rating (avg by default, or max), with its members", () => {
    const party = join({ partyId: 'p1', members });
    expect(ticketOf(party, rule)).to.deep.equal({
      ticketId: 't1',
      playerId: 'a',
      rating: 1500,
      joinedAt: 7,
      partyId: 'p1',
      members: [
        { playerId: 'a', rating: 1500 },
        { playerId: 'b', rating: 1601 },
        { playerId: 'c', rating: 1400 },
      ],
    });
    expect(ticketOf(party, { ...rule, party: { maxSize: 3, aggregate: 'max' } }).rating).to.equal(1601);
  });

  it("keeps each member's name and refuses a party larger than the mode's party.maxSize", () => {
    const intake = new PoolIntake('trio', 'eu', rule);
    expect(intake.admit(join({ partyId: 'p1', members }), {} as ConsumeMessage, 1)).to.equal('kept');
    expect(intake.pool.get('t1')?.members).to.have.length(3);
    expect(intake.nameOf('t1', 'b')).to.equal('bob');
    expect(intake.nameOf('t1')).to.equal('ada');
    const small = new PoolIntake('trio', 'eu', { ...rule, party: { maxSize: 2, aggregate: 'avg' } });
    expect(() => small.check(join({ partyId: 'p1', members }))).to.throw(InvalidMessage, /a party of 3, mode trio takes parties of up to 2/);
    expect(() => small.check(join({ partyId: 'p1', members: members.slice(0, 2) }))).to.not.throw();
  });
});
