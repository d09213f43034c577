import { expect } from 'chai';
import type { MatchConfig } from '../../core/types.js';
import type { FoundFrame } from '../../packages/client/src/wire/index.js';
import type { PlayerClient, ServerFrame } from '../support/player-client.js';
import { startStack, type Stack } from '../support/stack.js';

/** Rooms of three with a ready check, parties of two: a pair and a solo make a room. */
const RC3: MatchConfig['modes'][string] = {
  teams: 1,
  teamSize: 3,
  window: { initial: 1000, perSecond: 0, max: 1000 },
  maxWaitSeconds: 120,
  party: { maxSize: 2, aggregate: 'avg' },
  accept: { seconds: 2, cooldownSeconds: 0 },
};
// rcc3: the same with a cooldown after a decline.
const MATCH: MatchConfig = { regions: ['eu'], modes: { rc3: RC3, rcc3: { ...RC3, accept: { seconds: 10, cooldownSeconds: 60 } } } };
const JOIN = { type: 'join', mode: 'rc3', region: 'eu' } as const;

type Party = { code: string; members: unknown[] } | null;
const partyOf = (frame: ServerFrame) => (frame as { party?: Party }).party ?? null;

/**
 * A party in a ready-check room (contract v1.1): its members answer one by one, and an end of
 * the party's ticket (a member's decline, the party's silence) reaches every member, on
 * whichever gateway each is; the chaos run found the second member never told.
 */
describe('ready check with a party, end to end', () => {
  let stack: Stack;
  let seq = 0;

  beforeEach(async () => {
    stack = await startStack({ tickMs: 100, gateways: 2, match: MATCH, without: ['recorder'] });
  });
  afterEach(async () => {
    await stack.stop();
  });

  /** A pair (leader on gateway 0, member on gateway 1) and a solo, all proposed one room. */
  async function proposedWithAPair(
    join: { type: 'join'; mode: string; region: string } = JOIN,
  ): Promise<{ leader: PlayerClient; member: PlayerClient; solo: PlayerClient; found: FoundFrame[]; code: string; memberId: string }> {
    const players = await Promise.all([1, 2, 3].map(() => stack.addPlayer(`rp${++seq}`, 1500)));
    const [leader, member, solo] = (await Promise.all(players.map((player, index) => stack.connect(player.token, index === 1 ? 1 : 0)))) as [
      PlayerClient,
      PlayerClient,
      PlayerClient,
    ];
    leader.send({ type: 'party.create' });
    const code = partyOf(await leader.next('party'))!.code;
    member.send({ type: 'party.join', code });
    for (const client of [leader, member]) while (partyOf(await client.next('party'))?.members.length !== 2);
    leader.send(join);
    const [queuedLeader, queuedMember] = await Promise.all([leader.next('queued'), member.next('queued')]);
    expect(queuedMember.ticketId, 'one ticket for the party').to.equal(queuedLeader.ticketId);
    solo.send(join);
    await solo.next('queued');
    const found = await Promise.all([leader, member, solo].map((client) => client.next('found')));
    expect(new Set(found.map((frame) => frame.roomId)).size).to.equal(1);
    return { leader, member, solo, found, code, memberId: players[1]!.id };
  }

  it("ends the party's ticket for every member when one member declines: both hear left declined, the solo is requeued", async () => {
    const { leader, member, solo, found } = await proposedWithAPair();
    const roomId = found[0]!.roomId;
    leader.send({ type: 'accept', roomId });
    await leader.next('ready');
    member.send({ type: 'decline', roomId, id: 'no' });
    expect(await member.next('left')).to.deep.equal({ type: 'left', ticketId: found[1]!.ticketId, reason: 'declined', id: 'no' });
    expect(await leader.next('left')).to.deep.equal({ type: 'left', ticketId: found[0]!.ticketId, reason: 'declined' });
    expect(await solo.next('requeued')).to.deep.equal({ type: 'requeued', ticketId: found[2]!.ticketId, reason: 'declined' });
  });

  it("ends the party's ticket for every member when the party stays silent: both hear left accept_timeout, the solo who accepted is requeued", async () => {
    const { leader, member, solo, found } = await proposedWithAPair();
    solo.send({ type: 'accept', roomId: found[2]!.roomId });
    for (const [client, frame] of [
      [leader, found[0]!],
      [member, found[1]!],
    ] as const)
      expect(await client.next('left', 10_000)).to.deep.equal({ type: 'left', ticketId: frame.ticketId, reason: 'accept_timeout' });
    expect((await solo.next('requeued', 10_000)).reason).to.equal('accept_timeout');
  });

  it('makes the room final once both members and the solo accepted: every member matched in it, on one team', async () => {
    const { leader, member, solo, found } = await proposedWithAPair();
    const roomId = found[0]!.roomId;
    for (const client of [leader, member, solo]) client.send({ type: 'accept', roomId });
    const matched = await Promise.all([leader, member, solo].map((client) => client.next('matched')));
    for (const frame of matched) expect(frame.room.id).to.equal(roomId);
    const pair = matched[0]!.room.players.filter((player) => player.ticketId === found[0]!.ticketId);
    expect(pair).to.have.length(2);
    expect(new Set(pair.map((player) => player.partyId)).size).to.equal(1);
  });

  it("ends the party's ticket with party_changed when a member leaves the party while its room is pending; the room dissolves for the solo as requeued declined", async () => {
    const { leader, member, solo, found, code } = await proposedWithAPair();
    const roomId = found[0]!.roomId;
    solo.send({ type: 'accept', roomId });
    await solo.next('ready');
    // The party's ticket is live while its room is pending: nobody joins the party meanwhile.
    const newcomer = await stack.connect((await stack.addPlayer(`rp${++seq}`, 1500)).token, 1);
    newcomer.send({ type: 'party.join', code, id: 'in' });
    expect(await newcomer.next('error')).to.include({ code: 'party_queued', id: 'in' });
    member.send({ type: 'party.leave', id: 'bye' });
    expect(await member.next('left')).to.deep.equal({ type: 'left', ticketId: found[1]!.ticketId, reason: 'party_changed' });
    expect(partyOf(await member.next('party'))).to.equal(null);
    expect(await leader.next('left')).to.deep.equal({ type: 'left', ticketId: found[0]!.ticketId, reason: 'party_changed' });
    expect(partyOf(await leader.next('party'))?.members).to.have.length(1);
    expect(await solo.next('requeued')).to.deep.equal({ type: 'requeued', ticketId: found[2]!.ticketId, reason: 'declined' });
    // The one who left has no ticket, and neither does the leader: both may queue again, no cooldown.
    member.send({ ...JOIN, id: 'again' });
    expect((await member.next('queued')).id).to.equal('again');
  });

  it("ends the party's ticket with party_changed when the leader kicks a member while its room is pending, even after both accepted", async () => {
    const { leader, member, solo, found, memberId } = await proposedWithAPair();
    const roomId = found[0]!.roomId;
    for (const client of [leader, member]) client.send({ type: 'accept', roomId });
    await Promise.all([leader.next('ready'), member.next('ready')]);
    leader.send({ type: 'party.kick', playerId: memberId, id: 'out' });
    expect(await leader.next('left')).to.deep.equal({ type: 'left', ticketId: found[0]!.ticketId, reason: 'party_changed' });
    expect(await member.next('left')).to.deep.equal({ type: 'left', ticketId: found[1]!.ticketId, reason: 'party_changed' });
    expect(partyOf(await member.next('party'))).to.equal(null);
    expect(await solo.next('requeued')).to.deep.equal({ type: 'requeued', ticketId: found[2]!.ticketId, reason: 'declined' });
  });

  it('keeps a whole party from queueing while one of its members cools down after declining: the leader gets cooling_down', async () => {
    const join = { type: 'join', mode: 'rcc3', region: 'eu' } as const;
    const { leader, member, found } = await proposedWithAPair(join);
    member.send({ type: 'decline', roomId: found[1]!.roomId });
    await Promise.all([member.next('left'), leader.next('left')]);
    leader.send({ ...join, id: 'again' });
    const cooling = await leader.next('error');
    expect(cooling).to.include({ code: 'cooling_down', id: 'again' });
    expect((cooling as { retryInMs?: number }).retryInMs).to.be.within(1, 60_000);
    expect((cooling as { message: string }).message).to.match(/member of your party/);
  });
});
