import { expect } from 'chai';
import { addServerKey } from '../../common/server-keys.js';
import type { ClientFrame, MatchedFrame, Room } from '../../packages/client/src/wire/index.js';
import { eventually } from '../support/broker.js';
import { ARTIFACTS, exactly, Pages, PHONE, shot, showsText } from '../support/browser-pages.js';
import type { FleetStub } from '../support/fleet-stub.js';
import type { PlayerClient } from '../support/player-client.js';
import type { Stack } from '../support/stack.js';
import { startV11BrowserStack, type V11BrowserStack } from '../support/v11-browser-stack.js';

/**
 * The dashboard's v1.1 panels in Chromium against the whole pipeline: players and tickets per
 * pool with a party waiting, rooms by party make-up, the ready check per minute, allocation
 * (a fleet stub that errs, refuses and allocates) and ratings moving after a reported result.
 * Every figure asserted is one the test caused; every wait is on what the page shows.
 */

const SERVER = { status: 201, body: { address: '198.51.100.9:7000' } };

describe('browser: the dashboard with parties, ready check, allocation and ratings', function () {
  this.timeout(150_000);
  let fleet: FleetStub;
  let stack: Stack;
  let pages: Pages;
  let seq = 0;
  let started: V11BrowserStack | undefined;

  before(async () => {
    started = await startV11BrowserStack(SERVER, 'dashboard-browser-join-token-secret-0123456789');
    ({ fleet, stack, pages } = started);
  });
  after(async () => {
    expect(await pages.closePages()).to.deep.equal([]);
    await started?.stop();
  });

  const players = (count: number, rating = 1500) =>
    Promise.all(
      Array.from({ length: count }, async () => {
        const player = await stack.addPlayer(`d${++seq}`, rating + seq);
        return { player, client: await stack.connect(player.token) };
      }),
    );
  const join = (client: PlayerClient, mode: string) => {
    client.send({ type: 'join', mode, region: 'eu' } as ClientFrame);
    return client.next('queued');
  };

  it('shows players and tickets per pool, rooms by make-up, the ready check, allocation and ratings moving', async () => {
    const page = await pages.open(stack.httpUrl('/dashboard'));
    for (const panel of ['#panel-makeup', '#panel-ready', '#panel-allocation', '#panel-ratings']) await page.locator(panel).waitFor({ state: 'visible' });
    const duo = page.locator('#pool-legend [data-pool="duo.eu"]');
    await showsText(duo.locator('.pool-waiting'), exactly('0'));

    // A pair waits in duo.eu: 2 players, 1 ticket.
    const [leader, mate] = await players(2);
    leader!.client.send({ type: 'party.create' } as ClientFrame);
    const { party } = await leader!.client.next('party');
    mate!.client.send({ type: 'party.join', code: party!.code } as ClientFrame);
    await mate!.client.next('party');
    // The first allocation meets a fleet error, then gets its server: one retry.
    fleet.answer({ status: 503 }, SERVER);
    await join(leader!.client, 'duo');
    await showsText(duo.locator('.pool-waiting'), exactly('2'));
    await showsText(duo.locator('.pool-tickets'), 'in 1 ticket');
    await shot(page, 'dashboard-v11-party-waiting');

    // Two solos fill the room: make-up 2+1+1.
    const solos = await players(2);
    for (const { client } of solos) await join(client, 'duo');
    const [first] = await Promise.all([leader!.client.next('matched', 30_000), ...solos.map(({ client }) => client.next('matched', 30_000))]);
    await page.waitForFunction(() => (document.querySelector('#chart-makeup')?.getAttribute('data-makeups') ?? '').split(' ').includes('2+1+1'));
    await showsText(page.locator('#alloc-ok'), exactly('1'));
    await showsText(page.locator('#alloc-retry-reasons [data-reason="server_error"] .count'), exactly('1'));

    // Four solos; the fleet refuses their room once (400: rejected), then allocates it.
    fleet.answer({ status: 400, body: { error: 'no' } }, SERVER);
    const four = await players(4, 1600);
    for (const { client } of four) await join(client, 'duo');
    await Promise.all(four.map(({ client }) => client.next('requeued', 30_000)));
    await Promise.all(four.map(({ client }) => client.next('matched', 30_000)));
    await showsText(page.locator('#alloc-failures [data-reason="rejected"] .count'), exactly('1'));
    await showsText(page.locator('#alloc-ok'), exactly('2'));
    await page.waitForFunction(() => (document.querySelector('#chart-makeup')?.getAttribute('data-makeups') ?? '').split(' ').includes('1+1+1+1'));

    // Ready check: one declines (the others are requeued), then a room everyone accepts.
    const ready = await players(3);
    for (const { client } of ready) await join(client, 'ready3');
    const found = await Promise.all(ready.map(({ client }) => client.next('found', 30_000)));
    ready[2]!.client.send({ type: 'decline', roomId: found[2]!.roomId } as ClientFrame);
    await Promise.all(ready.slice(0, 2).map(({ client }) => client.next('requeued', 30_000)));
    const [late] = await players(1);
    await join(late!.client, 'ready3');
    const again = [ready[0]!, ready[1]!, late!];
    const foundAgain = await Promise.all(again.map(({ client }) => client.next('found', 30_000)));
    again.forEach(({ client }, index) => client.send({ type: 'accept', roomId: foundAgain[index]!.roomId } as ClientFrame));
    await Promise.all(again.map(({ client }) => client.next('matched', 30_000)));
    await showsText(page.locator('#ready-legend [data-outcome="proposed"] .legend-total'), exactly('2'));
    await showsText(page.locator('#ready-legend [data-outcome="accepted"] .legend-total'), exactly('1'));
    await showsText(page.locator('#ready-legend [data-outcome="declined"] .legend-total'), exactly('1'));
    await showsText(page.locator('#ready-legend [data-outcome="timedOut"] .legend-total'), exactly('0'));
    await page.waitForFunction(() => (document.querySelector('#chart-ready')?.getAttribute('data-series') ?? '').includes('declined'));
    await showsText(page.locator('#alloc-ok'), exactly('3'));

    // A game server reports the party room's result: the changes appear, and the duo distribution.
    const room: Room = (first as MatchedFrame).room;
    const { key } = await addServerKey(stack.db, 'dashboard-browser');
    const winners = room.players.find((player) => player.playerId === leader!.player.id)!.team;
    await eventually(
      'the result accepted',
      async () =>
        (
          await fetch(stack.httpUrl('/v1/results'), {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              roomId: room.id,
              placements: room.players.map((player) => ({ playerId: player.playerId, rank: player.team === winners ? 1 : 2 })),
            }),
          })
        ).status === 200,
      20_000,
    );
    await eventually('four rating changes listed', async () => (await page.locator(`#rating-changes li[data-room-id="${room.id}"]`).count()) === 4, 20_000);
    await showsText(page.locator(`#rating-changes li[data-player-id="${leader!.player.id}"] .delta`), /^\+\d+$/);
    await showsText(page.locator('#ratings-note'), '1 game rated');
    await page.locator('#chart-ratings[data-mode="duo"]').waitFor();
    await page.waitForFunction(() => Number(document.getElementById('chart-ratings')?.dataset.bars) >= 1);
    await shot(page, 'dashboard-v11');

    const phone = await pages.open(stack.httpUrl('/dashboard'), { viewport: PHONE, colorScheme: 'dark' });
    await phone.waitForFunction(() => Number(document.getElementById('chart-ratings')?.dataset.bars) >= 1);
    await phone.waitForFunction(() => Number(document.getElementById('chart-alloc')?.dataset.bars) >= 1);
    await shot(phone, 'dashboard-v11-phone-dark');
    for (const panel of ['makeup', 'ready', 'allocation', 'ratings'])
      await phone.locator(`#panel-${panel}`).screenshot({ path: `${ARTIFACTS}dashboard-v11-phone-${panel}.png` });
  });
});
