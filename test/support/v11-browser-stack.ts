import type { MatchConfig } from '../../core/types.js';
import { Pages } from './browser-pages.js';
import { FleetStub, type StubAnswer } from './fleet-stub.js';
import { startStack, type Stack } from './stack.js';

const wide = { initial: 1000, perSecond: 0, max: 1000 };
/** The browser tests' v1.1 modes: `duo` (2v2, pairs) and `ready3` (rooms of three with a 30 s ready check, no cooldown). */
export const V11_MATCH: MatchConfig = {
  regions: ['eu'],
  modes: {
    duo: { teams: 2, teamSize: 2, window: wide, maxWaitSeconds: 300, party: { maxSize: 2, aggregate: 'avg' } },
    ready3: { teams: 1, teamSize: 3, window: wide, maxWaitSeconds: 300, accept: { seconds: 30, cooldownSeconds: 0 } },
  },
};

export interface V11BrowserStack {
  /** The fleet the http allocator asks for servers: a test sets its answers. */
  fleet: FleetStub;
  stack: Stack;
  pages: Pages;
  stop(): Promise<void>;
}

/**
 * The whole pipeline with the v1.1 modes, an http allocator on a fleet stub that answers
 * `server` until told otherwise, join tokens signed, and Chromium: the lobby's and the
 * dashboard's v1.1 browser tests.
 */
export async function startV11BrowserStack(server: StubAnswer, joinTokenSecret: string): Promise<V11BrowserStack> {
  const fleet = await FleetStub.start();
  fleet.answer(server);
  const stack = await startStack({
    match: V11_MATCH,
    tickMs: 250,
    env: { ALLOCATOR: 'http', ALLOCATOR_URL: fleet.url, JOIN_TOKEN_SECRET: joinTokenSecret },
  });
  const pages = await Pages.launch();
  return {
    fleet,
    stack,
    pages,
    async stop() {
      await pages.close();
      await stack.stop();
      await fleet.stop();
    },
  };
}
