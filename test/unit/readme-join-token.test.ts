import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createJoinTokenSigner } from '../../common/join-token.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The README's game server snippet, run as written: it must admit a real token and refuse the rest. */
describe('README join token snippet', () => {
  it('admits the player of this room and refuses another room and another key', async () => {
    // The snippet with a plain JWT library (the SDK's is run against the packed package in test/e2e/client-tarball.test.ts).
    const section = readme.slice(readme.indexOf('**Join tokens.**'));
    const snippet = section
      .split('```js\n')
      .slice(1)
      .map((block) => block.split('```')[0]!)
      .find((block) => block.includes('jwtVerify'))!;
    expect(snippet).to.be.a('string');
    // Written inside the repository so that its `import 'jose'` resolves as in a game server's project.
    const file = fileURLToPath(new URL(`../../node_modules/.readme-snippet-${process.pid}.mjs`, import.meta.url));
    const secret = 'readme-snippet-secret-0123456789abcdef';
    process.env.JOIN_TOKEN_SECRET = secret;
    writeFileSync(file, snippet);
    try {
      const { admit } = (await import(file)) as { admit: (token: string, roomId: string) => Promise<string> };
      const token = await createJoinTokenSigner(secret, 300)('player-7', 'room-7');
      expect(await admit(token, 'room-7')).to.equal('player-7');
      let refused = 0;
      await admit(token, 'room-8').catch(() => {
        refused += 1;
      });
      await admit(await createJoinTokenSigner('forger', 300)('player-7', 'room-7'), 'room-7').catch(() => {
        refused += 1;
      });
      expect(refused).to.equal(2);
    } finally {
      delete process.env.JOIN_TOKEN_SECRET;
      rmSync(file, { force: true });
    }
  });
});
