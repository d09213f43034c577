import { expect } from 'chai';
import { addServerKey } from '../../common/server-keys.js';
import type { MatchedFrame } from '../../packages/client/src/wire/index.js';
import { eventually } from '../support/broker.js';
import { exactly, Pages, PHONE, shot, showsText, signIn } from '../support/browser-pages.js';
import type { Stack } from '../support/stack.js';
import { startV11BrowserStack, type V11BrowserStack } from '../support/v11-browser-stack.js';

/**
 * The lobby's v1.1 views in Chromium against the whole pipeline (an http allocator on a fleet
 * stub, the server API for a result): parties, the ready check's live count and fall-through,
 * the game server's address and the rating a game moved. Every wait is on what a page shows.
 */

const SERVER = '203.0.113.7:7777';

describe('browser: the lobby with parties, ready check, servers and ratings', function () {
  this.timeout(120_000);
  let stack: Stack;
  let pages: Pages;
  let started: V11BrowserStack | undefined;

  before(async () => {
    started = await startV11BrowserStack({ status: 201, body: { address: SERVER } }, 'lobby-browser-join-token-secret-0123456789');
    ({ stack, pages } = started);
  });
  afterEach(async () => {
    expect(await pages.closePages()).to.deep.equal([]);
  });
  after(async () => {
    await started?.stop();
  });

  it('party: create, copy the code, join by code, members live, kick, the leader queues both; the room marks the party, shows the server and the rating the game moved', async () => {
    const [ada, bob, cyd, dee] = await Promise.all(
      [
        ['ada', 1500],
        ['bob', 1560],
        ['cyd', 1520],
        ['dee', 1540],
      ].map(([name, rating]) => stack.addPlayer(name as string, rating as number)),
    );
    const leader = await pages.open(stack.httpUrl('/'), { clipboard: true });
    await signIn(leader, ada!);
    await showsText(leader.locator('#ratings [data-mode="duo"] .rating-value'), exactly('1500'));
    await shot(leader, 'lobby-party-none');

    await leader.getByRole('button', { name: 'Create a party' }).click();
    const codeText = leader.locator('#party-code-text');
    await showsText(codeText, /^[A-HJ-NP-Z2-9]{6}$/);
    const code = (await codeText.textContent())!;
    await leader.getByRole('button', { name: 'Copy code' }).click();
    await showsText(leader.locator('#party-copy'), 'Copied');
    expect(await leader.evaluate(() => navigator.clipboard.readText())).to.equal(code);

    const member = await pages.open(stack.httpUrl('/'), { viewport: PHONE });
    await signIn(member, bob!);
    await member.getByLabel('Party code').fill(code.toLowerCase());
    await member.getByRole('button', { name: 'Join', exact: true }).click();
    await showsText(member.locator('#party-code-text'), exactly(code));
    for (const page of [leader, member]) await eventually('both members listed', async () => (await page.locator('#party-members li').count()) === 2, 20_000);
    expect(await leader.locator('#party-members .player-name').allTextContents()).to.deep.equal(['ada', 'bob']);
    await showsText(member.locator('#party-note'), 'ada leads');
    expect(await member.locator('#find').isDisabled()).to.equal(true);
    await showsText(member.locator('#find'), 'The leader starts the search');
    expect(await member.locator('#party-members [data-kick]').count()).to.equal(0);
    await shot(leader, 'lobby-party');
    await shot(member, 'lobby-party-member-phone');

    // The leader removes bob; bob is told, and joins again by code.
    await leader.getByRole('button', { name: 'Remove bob from the party' }).click();
    await showsText(member.locator('#alert-text'), 'You were removed from the party.');
    await member.locator('#party-none').waitFor({ state: 'visible' });
    await eventually('bob gone from the leader’s list', async () => (await leader.locator('#party-members li').count()) === 1, 20_000);
    await member.getByLabel('Party code').fill(code);
    await member.getByRole('button', { name: 'Join', exact: true }).click();
    await eventually('bob back', async () => (await leader.locator('#party-members li').count()) === 2, 20_000);

    // The leader's search queues both; two solos fill the room.
    await leader.getByLabel('Game mode').selectOption('duo');
    await leader.getByRole('button', { name: 'Find match for 2' }).click();
    for (const page of [leader, member]) await page.locator('#view-searching').waitFor({ state: 'visible' });
    await showsText(member.locator('#searching-party'), 'With your party: ada');
    await shot(member, 'lobby-party-searching-phone');
    const solos = await Promise.all([cyd!, dee!].map((player) => stack.connect(player.token)));
    for (const client of solos) client.send({ type: 'join', mode: 'duo', region: 'eu' });
    const matched: MatchedFrame[] = await Promise.all(solos.map((client) => client.next('matched', 30_000)));

    for (const page of [leader, member]) {
      await page.locator('#view-room').waitFor({ state: 'visible' });
      await showsText(page.locator('#room-server-address'), exactly(SERVER));
    }
    const room = matched[0]!.room;
    const team = room.players.find((player) => player.name === 'ada')!.team;
    expect(room.players.find((player) => player.name === 'bob')!.team).to.equal(team);
    // Each page marks itself "You" and its party mate "Party"; nobody else.
    expect(await leader.locator('#room tr[aria-current="true"] .player-name').allTextContents()).to.deep.equal(['ada']);
    expect(await leader.locator('#room tr[data-party="mine"]:not([aria-current]) .player-name').allTextContents()).to.deep.equal(['bob']);
    expect(await leader.locator('#room .tag-party').allTextContents()).to.deep.equal(['Party']);
    expect(await member.locator('#room tr[data-party="mine"]:not([aria-current]) .player-name').allTextContents()).to.deep.equal(['ada']);
    await showsText(leader.locator('#room-result'), 'changes when the game server reports the result');

    // A game server reports the result (ada's team wins); both pages show what it did.
    const { key } = await addServerKey(stack.db, 'lobby-browser');
    const placements = room.players.map((player) => ({ playerId: player.playerId, rank: player.team === team ? 1 : 2 }));
    let answer: { changes: { playerId: string; before: number; after: number }[] } | undefined;
    await eventually(
      'the result accepted (the recorder has the room)',
      async () => {
        const response = await fetch(stack.httpUrl('/v1/results'), {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ roomId: room.id, placements }),
        });
        if (response.status === 200) answer = (await response.json()) as typeof answer;
        return response.status === 200;
      },
      20_000,
    );
    const adaChange = answer!.changes.find((change) => change.playerId === ada!.id)!;
    expect(adaChange.after).to.be.greaterThan(adaChange.before);
    await showsText(leader.locator('#room-result'), `Your duo rating: ${adaChange.before} → ${adaChange.after} (+${adaChange.after - adaChange.before})`);
    await shot(leader, 'lobby-room-party-result');
    await shot(member, 'lobby-room-party-phone');
    await leader.getByRole('button', { name: 'Change mode or region' }).click();
    await showsText(leader.locator('#ratings [data-mode="duo"] .rating-value'), exactly(String(adaChange.after)));
    await showsText(leader.locator('#ratings [data-mode="duo"] .rating-change'), `+${adaChange.after - adaChange.before}`);
    await shot(leader, 'lobby-ratings');
  });

  it("ready check: counts the others' accepts live, and says plainly when the room falls through", async () => {
    const [eve, fay, gil] = await Promise.all(['eve', 'fay', 'gil'].map((name) => stack.addPlayer(name, 1500)));
    const page = await pages.open(stack.httpUrl('/'), { viewport: PHONE });
    await signIn(page, eve!);
    await page.getByLabel('Game mode').selectOption('ready3');
    await page.getByRole('button', { name: 'Find match' }).click();
    const others = await Promise.all([fay!, gil!].map((player) => stack.connect(player.token)));
    for (const client of others) client.send({ type: 'join', mode: 'ready3', region: 'eu' });
    const found = await Promise.all(others.map((client) => client.next('found', 30_000)));
    await page.locator('#view-found').waitFor({ state: 'visible' });
    await showsText(page.locator('#found-count'), '0 of 3 accepted');

    // fay accepts first: the count moves on eve's page before eve answers.
    others[0]!.send({ type: 'accept', roomId: found[0]!.roomId });
    await showsText(page.locator('#found-count'), exactly('1 of 3 accepted'));
    await page.getByRole('button', { name: 'Accept' }).click();
    await showsText(page.locator('#found-count'), '2 of 3 accepted; waiting for the others');
    await shot(page, 'lobby-found-counting-phone');

    others[1]!.send({ type: 'decline', roomId: found[1]!.roomId });
    await page.locator('#view-searching').waitFor({ state: 'visible' });
    await showsText(page.locator('#alert-text'), 'Someone declined the match. You are back in the queue, with your place kept.');
    await shot(page, 'lobby-fell-through-phone');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('#view-lobby').waitFor({ state: 'visible' });
  });
});
