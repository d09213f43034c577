import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core, for the browser tests of the lobby's and the
 * dashboard's v1.1 views: never a downloaded browser. Pages collect their uncaught errors.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The flags every browser test launches Chromium with: headless, no sandbox, nothing fetched on its own. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };
const UI_TIMEOUT = 20_000;

export class Pages {
  readonly errors: string[] = [];
  private readonly contexts: BrowserContext[] = [];
  private constructor(private readonly browser: Browser) {}

  static async launch(): Promise<Pages> {
    if (!existsSync(CHROMIUM)) throw new Error(`the browser tests need Debian's Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    return new Pages(await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }));
  }

  async open(url: string, { viewport = DESKTOP, colorScheme = 'light' as 'light' | 'dark', clipboard = false } = {}): Promise<Page> {
    const context = await this.browser.newContext({ viewport, colorScheme, reducedMotion: 'reduce' });
    if (clipboard) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });
    this.contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => this.errors.push(`${page.url()}: ${error.message}`));
    page.setDefaultTimeout(UI_TIMEOUT);
    await page.goto(url);
    return page;
  }

  /** Closes every page; the errors they saw, emptied. */
  async closePages(): Promise<string[]> {
    // A context already closed (a crashed page) has nothing left to close; what its page saw is returned.
    await Promise.all(this.contexts.splice(0).map((context) => context.close().catch(() => undefined)));
    return this.errors.splice(0);
  }

  async close(): Promise<void> {
    await this.closePages();
    await this.browser.close();
  }
}

export const shot = (page: Page, name: string) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });

/** Waits until the locator's text contains `text` (a string) or matches it (a RegExp); no fixed sleeps. */
export async function showsText(locator: Locator, text: string | RegExp, { visible = true } = {}): Promise<void> {
  await locator
    .filter({ hasText: text })
    .first()
    .waitFor({ state: visible ? 'visible' : 'attached' });
}

/** Exactly this text, for short figures ("3" must not match "13"). */
export function exactly(text: string): RegExp {
  return new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}

/** Signs in on the lobby with a token and waits for the greeting. */
export async function signIn(page: Page, player: { name: string; token: string }): Promise<void> {
  await page.getByLabel('Player token').fill(player.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await showsText(page.locator('#lobby-title'), `Hi, ${player.name}`);
}
