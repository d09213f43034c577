import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createJoinTokenSigner } from '../../common/join-token.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'verify-token-cli-test-secret-0123456789';

const verifyToken = (args: string[], env: Record<string, string | undefined>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'cli/verify-token.ts', ...args],
      { cwd: root, env: { ...process.env, JOIN_TOKEN_SECRET: undefined, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

/** `npm run verify-token -- TOKEN` as an operator runs it, in a real process. */
describe('npm run verify-token', function () {
  this.timeout(60_000);

  it('prints the verified claims as one JSON line, and never the secret', async () => {
    const token = await createJoinTokenSigner(SECRET, 300)('player-1', 'room-1');
    const run = await verifyToken([token], { JOIN_TOKEN_SECRET: SECRET });
    expect(run.code, run.stderr).to.equal(0);
    const claims = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(claims).to.include({ sub: 'player-1', room: 'room-1' });
    expect(Number(claims.exp) - Number(claims.iat)).to.equal(300);
    expect(run.stdout + run.stderr).to.not.include(SECRET);
  });

  it('exits 1 with one clear line for a token signed with another key, or expired', async () => {
    const forged = await createJoinTokenSigner('some-other-key', 300)('player-1', 'room-1');
    const bad = await verifyToken([forged], { JOIN_TOKEN_SECRET: SECRET });
    expect(bad.code).to.equal(1);
    expect(bad.stdout).to.equal('');
    expect(bad.stderr.trim()).to.equal('matchq verify-token: invalid join token: the signature does not match JOIN_TOKEN_SECRET');
    const old = await createJoinTokenSigner(SECRET, 60, () => Date.now() - 120_000)('player-1', 'room-1');
    const expired = await verifyToken([old], { JOIN_TOKEN_SECRET: SECRET });
    expect(expired.code).to.equal(1);
    expect(expired.stderr).to.match(/^matchq verify-token: invalid join token: expired at \d{4}-/);
  });

  it('exits 1 naming JOIN_TOKEN_SECRET when it is not set, and showing the usage without a token', async () => {
    const noSecret = await verifyToken(['a.b.c'], {});
    expect(noSecret.code).to.equal(1);
    expect(noSecret.stderr).to.include('JOIN_TOKEN_SECRET is not set');
    const noToken = await verifyToken([], { JOIN_TOKEN_SECRET: SECRET });
    expect(noToken.code).to.equal(1);
    expect(noToken.stderr).to.include('usage: npm run verify-token -- TOKEN');
  });
});
