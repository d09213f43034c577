import { existsSync, mkdirSync } from 'node:fs';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { createLogger } from '../../common/logger.js';
import type { MatchConfig } from '../../core/types.js';
import { startGatewayService } from '../../services/producer/service.js';
import { startStack, type Stack } from '../support/stack.js';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE } from '../support/browser-pages.js';

/**
 * The lobby and the dashboard in a real browser (Debian's Chromium, driven by playwright-core)
 * against the whole pipeline in this process. Every wait is on what the page shows.
 */

const UI_TIMEOUT = 15_000;

const growth = { initial: 0, perSecond: 50, max: 1000 };
/** Rooms of three for the lobby; 2v2 (four players) so the dashboard can watch a pool fill before it drains. */
const MATCH: MatchConfig = {
  regions: ['eu', 'us'],
  modes: {
    ffa3: { teams: 1, teamSize: 3, window: growth, maxWaitSeconds: 300 },
    duo: { teams: 2, teamSize: 2, window: { ...growth, initial: 200 }, maxWaitSeconds: 300 },
    // With the v1.1 ready check: every player accepts a found room before it is made.
    ready3: { teams: 1, teamSize: 3, window: { initial: 1000, perSecond: 0, max: 1000 }, maxWaitSeconds: 300, accept: { seconds: 30, cooldownSeconds: 0 } },
  },
};

interface DemoPlayer {
  id: string;
  name: string;
  rating: number;
  token: string;
}

describe('browser: lobby and dashboard', function () {
  this.timeout(90_000);
  let stack: Stack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  /** Uncaught exceptions in any page: a test fails on them even when the page still looks right. */
  const pageErrors: string[] = [];
  const extraStops: (() => Promise<void>)[] = [];

  before(async () => {
    // Debian's Chromium, never a downloaded browser: say so plainly when it is missing.
    if (!existsSync(CHROMIUM)) throw new Error(`the browser tests need Debian's Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await startStack({ match: MATCH, tickMs: 250 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterEach(async () => {
    // A context a test already closed (or whose page crashed) has nothing left to close; the page errors are checked next.
    await Promise.all(contexts.splice(0).map((context) => context.close().catch(() => undefined)));
    expect(pageErrors.splice(0)).to.deep.equal([]);
  });

  after(async () => {
    await browser?.close();
    // A stub a test already stopped rejects a second stop; the stack is stopped either way.
    for (const stop of extraStops) await stop().catch(() => undefined);
    await stack?.stop();
  });

  async function newPage(viewport = DESKTOP, demoPlayers?: DemoPlayer[], colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const context = await browser.newContext({ viewport, colorScheme, reducedMotion: 'reduce' });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
    page.setDefaultTimeout(UI_TIMEOUT);
    // The test stack has no demo file (only `npm start` writes one); this stands in for its route.
    if (demoPlayers) await page.route('**/demo-players', (route) => route.fulfill({ json: demoPlayers }));
    return page;
  }

  async function signIn(page: Page, player: DemoPlayer): Promise<void> {
    await page.goto(stack.httpUrl('/'));
    await page.getByLabel('Player token').fill(player.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await showsText(page.locator('#lobby-title'), `Hi, ${player.name}`);
  }

  /** Asks for a match; `searching` false when the room may form before the search view shows (within one tick). */
  async function findMatch(page: Page, mode: string, region: string, searching = true): Promise<void> {
    await page.getByLabel('Game mode').selectOption(mode);
    await page.getByLabel('Region').selectOption(region);
    await page.getByRole('button', { name: 'Find match' }).click();
    if (searching) await page.locator('#view-searching').waitFor({ state: 'visible' });
  }

  async function roomOf(page: Page): Promise<{ id: string; names: string[]; mine: string[] }> {
    await page.locator('#view-room').waitFor({ state: 'visible' });
    const room = page.locator('#room');
    return {
      id: (await room.getAttribute('data-room-id'))!,
      names: await room.locator('.player-name').allTextContents(),
      mine: await room.locator('tr[aria-current="true"] .player-name').allTextContents(),
    };
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });

  it('matches three players on three pages into one room that all three show', async () => {
    const players = await Promise.all(
      [
        ['ada', 1500],
        ['bob', 1520],
        ['cyd', 1480],
      ].map(([name, rating]) => stack.addPlayer(name as string, rating as number)),
    );
    const pages = await Promise.all([newPage(DESKTOP, players), newPage(PHONE), newPage(DESKTOP)]);

    // ada picks herself from the demo players; bob and cyd paste their tokens.
    await pages[0]!.goto(stack.httpUrl('/'));
    await pages[0]!.getByRole('button', { name: /Play as ada/ }).waitFor();
    await shot(pages[0]!, 'lobby-sign-in');
    await pages[0]!.getByRole('button', { name: /Play as ada/ }).click();
    await showsText(pages[0]!.locator('#lobby-title'), 'Hi, ada');
    await signIn(pages[1]!, players[1]!);
    await signIn(pages[2]!, players[2]!);
    await shot(pages[1]!, 'lobby-choose-phone');

    for (const page of pages) await findMatch(page, 'ffa3', 'eu');
    const rooms = await Promise.all(pages.map(roomOf));

    expect(new Set(rooms.map((room) => room.id)).size).to.equal(1);
    rooms.forEach((room, index) => {
      expect(room.names).to.have.members(['ada', 'bob', 'cyd']);
      expect(room.mine).to.deep.equal([players[index]!.name]);
    });
    await shot(pages[0]!, 'lobby-room');
    await shot(pages[1]!, 'lobby-room-phone');

    // "Play again" queues the same mode and region at once.
    await pages[0]!.getByRole('button', { name: 'Play again' }).click();
    await pages[0]!.locator('#view-searching').waitFor({ state: 'visible' });
    await showsText(pages[0]!.locator('[data-queue-label]'), 'ffa3 · eu');
    await pages[0]!.getByRole('button', { name: 'Cancel' }).click();
    await pages[0]!.locator('#view-lobby').waitFor({ state: 'visible' });
  });

  it('shows the wait and the rating window while searching, and cancels by keyboard', async () => {
    const player = await stack.addPlayer('dee', 1600);
    const page = await newPage(PHONE);
    await page.goto(stack.httpUrl('/'));
    await page.getByLabel('Player token').focus();
    await page.keyboard.type(player.token);
    await page.keyboard.press('Enter');
    await showsText(page.locator('#lobby-title'), 'Hi, dee');
    // Focus moves to "Find match"; the pool ffa3.us has nobody else, so the search goes on.
    await page.getByLabel('Region').selectOption('us');
    await page.locator('#find').focus();
    await page.keyboard.press('Enter');
    await page.locator('#view-searching').waitFor({ state: 'visible' });
    // Live figures from `searching`: the window grows from 0 by 50 points a second.
    await page.waitForFunction(() => /^±[1-9]/.test(document.querySelector('#window')?.textContent ?? ''));
    await page.waitForFunction(() => document.querySelector('#waited')?.textContent !== '0:00');
    expect(await page.locator('#window-range').textContent()).to.match(/players rated \d+–\d+/);
    await shot(page, 'lobby-searching-phone');

    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('cancel');
    await page.keyboard.press('Enter');
    await page.locator('#view-lobby').waitFor({ state: 'visible' });
    await page.waitForFunction(() => document.activeElement?.id === 'find');
    await showsText(page.locator('#status'), 'Search cancelled.', { visible: false });

    // The ticket really ended: joining again is accepted, not refused as already_queued.
    await page.keyboard.press('Enter');
    await page.locator('#view-searching').waitFor({ state: 'visible' });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('#view-lobby').waitFor({ state: 'visible' });
  });

  it('refuses a wrong token in words a player understands', async () => {
    const page = await newPage(PHONE);
    await page.goto(stack.httpUrl('/'));
    expect(await page.locator('#demo').isHidden()).to.equal(true);
    await page.getByLabel('Player token').fill('not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await showsText(page.locator('#token-error'), "That token wasn't recognised");
    expect(await page.getByLabel('Player token').getAttribute('aria-invalid')).to.equal('true');
    await shot(page, 'lobby-bad-token-phone');
  });

  it('tells the older page when the same player signs in elsewhere (close 4000), and lets it take over', async () => {
    const player = await stack.addPlayer('lia', 1500);
    const first = await newPage(DESKTOP);
    await signIn(first, player);
    const second = await newPage(PHONE);
    await signIn(second, player);
    await showsText(first.locator('#alert-text'), 'You opened matchq in another tab or window');
    await showsText(first.locator('#connection-text'), 'Disconnected');
    await shot(first, 'lobby-replaced');

    await first.getByRole('button', { name: 'Play here instead' }).click();
    await showsText(first.locator('#connection-text'), exactly('Connected'));
    await showsText(second.locator('#alert-text'), 'You opened matchq in another tab or window');
  });

  it("dashboard: a pool's size rises as players join and falls when they are matched", async () => {
    const dashboard = await newPage(DESKTOP);
    await dashboard.goto(stack.httpUrl('/dashboard'));
    const duoEu = dashboard.locator('#pool-legend [data-pool="duo.eu"] .pool-waiting');
    await showsText(duoEu, exactly('0'));
    const ownerChip = dashboard.locator(`#owners [data-matcher="${stack.namespace}-m0"] [data-pool="duo.eu"]`);
    await ownerChip.waitFor();

    const waiting = await Promise.all(
      [
        ['eve', 1500],
        ['fox', 1540],
        ['gus', 1460],
      ].map(async ([name, rating]) => {
        const player = await stack.addPlayer(name as string, rating as number);
        const client = await stack.connect(player.token);
        client.send({ type: 'join', mode: 'duo', region: 'eu' });
        await client.next('queued');
        return client;
      }),
    );
    await showsText(duoEu, exactly('3'));
    await shot(dashboard, 'dashboard-pool-filling');

    // The fourth player joins from a lobby page: the room forms, the pool drains, both pages show it.
    const hal = await stack.addPlayer('hal', 1510);
    const lobby = await newPage(DESKTOP);
    await signIn(lobby, hal);
    // duo's initial window (200) already covers the four (spread 80): the room forms at the next
    // 200 ms tick, often before the search view is ever drawn.
    await findMatch(lobby, 'duo', 'eu', false);
    const room = await roomOf(lobby);
    expect(room.names).to.have.members(['eve', 'fox', 'gus', 'hal']);
    expect(await lobby.locator('#room .team').count()).to.equal(2);
    await Promise.all(waiting.map((client) => client.next('matched')));

    await showsText(duoEu, exactly('0'));
    await dashboard.waitForFunction(() => Number(document.querySelector('#kpi-rooms-total')?.textContent) >= 1);
    await barsDrawn(dashboard, 'chart-wait');
    await barsDrawn(dashboard, 'chart-spread');
    expect(await dashboard.locator('#chart-pools[data-series~="duo.eu"]').count()).to.equal(1);
    await shot(dashboard, 'dashboard');
    await shot(lobby, 'lobby-room-teams');
    const phone = await newPage(PHONE, undefined, 'dark');
    await phone.goto(stack.httpUrl('/dashboard'));
    await barsDrawn(phone, 'chart-spread');
    await shot(phone, 'dashboard-phone-dark');
  });

  it('ready check: shows the found room with a countdown, accepts by keyboard, counts the others, then shows the room', async () => {
    const players = await Promise.all(
      [
        ['mia', 1500],
        ['ned', 1510],
        ['ola', 1490],
      ].map(([name, rating]) => stack.addPlayer(name as string, rating as number)),
    );
    const page = await newPage(PHONE);
    await signIn(page, players[0]!);
    await findMatch(page, 'ready3', 'eu', false);
    const others = await Promise.all(players.slice(1).map((player) => stack.connect(player.token)));
    others.forEach((client) => client.send({ type: 'join', mode: 'ready3', region: 'eu' }));
    const found = await Promise.all(others.map((client) => client.next('found')));

    await page.locator('#view-found').waitFor({ state: 'visible' });
    expect(await page.locator('#found-players .player-name').allTextContents()).to.have.members(['mia', 'ned', 'ola']);
    await showsText(page.locator('#found-count'), '0 of 3 accepted');
    await page.waitForFunction(() => Number(document.querySelector('#found-seconds')?.textContent) > 20);
    await page.waitForFunction(() => document.activeElement?.id === 'accept');
    await shot(page, 'lobby-found-phone');
    await page.keyboard.press('Enter');
    await showsText(page.locator('#found-count'), '1 of 3 accepted; waiting for the others');
    expect(await page.locator('#accept').isDisabled()).to.equal(true);

    for (const [index, client] of others.entries()) client.send({ type: 'accept', roomId: found[index]!.roomId });
    const room = await roomOf(page);
    expect(room.id).to.equal(found[0]!.roomId);
    expect(room.names).to.have.members(['mia', 'ned', 'ola']);
  });

  it('ready check: a decline ends the search, said in words', async () => {
    const players = await Promise.all(
      [
        ['pam', 1500],
        ['quy', 1500],
        ['ray', 1500],
      ].map(([name, rating]) => stack.addPlayer(name as string, rating as number)),
    );
    const page = await newPage(DESKTOP);
    await signIn(page, players[0]!);
    await findMatch(page, 'ready3', 'us', false);
    const others = await Promise.all(players.slice(1).map((player) => stack.connect(player.token)));
    others.forEach((client) => client.send({ type: 'join', mode: 'ready3', region: 'us' }));
    await page.locator('#view-found').waitFor({ state: 'visible' });
    await page.getByRole('button', { name: 'Decline' }).click();
    await page.locator('#view-lobby').waitFor({ state: 'visible' });
    await showsText(page.locator('#alert-text'), 'You declined the match');
    // The others' tickets go back to their pool.
    await Promise.all(others.map((client) => client.next('requeued')));
  });

  it('keeps the search through a gateway restart and shows the room formed after it', async () => {
    const players = await Promise.all(
      [
        ['ivy', 1500],
        ['jon', 1500],
        ['kim', 1500],
      ].map(([name, rating]) => stack.addPlayer(name as string, rating as number)),
    );
    const page = await newPage(DESKTOP);
    await signIn(page, players[0]!);
    await findMatch(page, 'ffa3', 'us');
    await page.waitForFunction(() => /^±/.test(document.querySelector('#window')?.textContent ?? ''));

    const port = stack.gateways[0]!.port;
    await stack.gateways[0]!.stop();
    await showsText(page.locator('#alert-text'), 'The server is restarting');
    await showsText(page.locator('#alert-text'), 'Your place in the queue is kept');
    await shot(page, 'lobby-reconnecting');
    expect(await page.locator('#view-searching').isVisible()).to.equal(true);

    const restarted = await startGatewayService(stack.configFor({ GATEWAY_ID: `${stack.namespace}-gw0b`, PORT: String(port) }), createLogger('test', 'silent'));
    extraStops.push(restarted.stop);
    stack.gateways[0] = restarted;
    await showsText(page.locator('#connection-text'), exactly('Connected'));
    await page.locator('#alert').waitFor({ state: 'hidden' });
    await page.locator('#view-searching').waitFor({ state: 'visible' });

    const others = await Promise.all(players.slice(1).map((player) => stack.connect(player.token)));
    others.forEach((client) => client.send({ type: 'join', mode: 'ffa3', region: 'us' }));
    const room = await roomOf(page);
    expect(room.names).to.have.members(['ivy', 'jon', 'kim']);
    expect(room.mine).to.deep.equal(['ivy']);
  });
});

/** Waits until the locator's text contains `text` (a string) or matches it (a RegExp); no fixed sleeps. */
async function showsText(locator: Locator, text: string | RegExp, { visible = true } = {}): Promise<void> {
  await locator
    .filter({ hasText: text })
    .first()
    .waitFor({ state: visible ? 'visible' : 'attached' });
}

/** Waits until the uPlot bar chart `#id` has drawn at least one bar with its count over it. */
async function barsDrawn(page: Page, id: string): Promise<void> {
  await page.waitForFunction((chart) => Number(document.getElementById(chart)?.dataset.bars) >= 1, id);
}

/** Exactly this text, for short figures such as a pool size ("3" must not match "13"). */
function exactly(text: string): RegExp {
  return new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}
