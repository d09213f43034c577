import { createHmac, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createJoinTokenSigner } from '../../common/join-token.js';
import { InvalidJoinToken, verifyJoinToken, type InvalidJoinTokenReason } from '../../packages/client/src/index.js';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const part = (token: string, index: number) => JSON.parse(Buffer.from(token.split('.')[index]!, 'base64url').toString('utf8')) as Record<string, unknown>;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A token signed by hand, HS256 with SECRET: any header and payload, as a forger or a buggy issuer would write it. */
const signed = (header: unknown, payload: unknown) => {
  const body = `${b64(header)}.${b64(payload)}`;
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
};

async function refusal(promise: Promise<unknown>): Promise<InvalidJoinToken> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(InvalidJoinToken);
    return error as InvalidJoinToken;
  }
  throw new Error('expected a rejection');
}

/** Join tokens: signed by the server (common/), checked by the SDK's verifyJoinToken as a game server does. */
describe('join tokens', () => {
  it('is an HS256 JWT with sub = player, room = room, iat now and exp TTL later', async () => {
    const [playerId, roomId] = [randomUUID(), randomUUID()];
    const now = Date.UTC(2026, 11, 1, 12, 0, 0, 700);
    const token = await createJoinTokenSigner(SECRET, 300, () => now)(playerId, roomId);
    expect(part(token, 0)).to.deep.equal({ alg: 'HS256', typ: 'JWT' });
    expect(part(token, 1)).to.deep.equal({ room: roomId, sub: playerId, iat: now / 1000 - 0.7, exp: now / 1000 - 0.7 + 300 });
    expect(await verifyJoinToken(token, SECRET, { now: () => now + 299_000 })).to.deep.equal({
      sub: playerId,
      room: roomId,
      iat: (now - 700) / 1000,
      exp: (now - 700) / 1000 + 300,
    });
  });

  it('verifies with nothing but an HMAC-SHA256 of header and payload, as any JWT library does', async () => {
    const token = await createJoinTokenSigner(SECRET, 60)('p1', 'r1');
    const [header, payload, signature] = token.split('.');
    expect(createHmac('sha256', SECRET).update(`${header}.${payload}`).digest('base64url')).to.equal(signature);
  });

  it('takes the key as bytes too', async () => {
    const token = await createJoinTokenSigner(SECRET, 60)('p1', 'r1');
    expect(await verifyJoinToken(token, new TextEncoder().encode(SECRET))).to.include({ sub: 'p1', room: 'r1' });
  });

  it('refuses an expired token, naming when it expired', async () => {
    const issued = Date.UTC(2026, 0, 1);
    const token = await createJoinTokenSigner(SECRET, 300, () => issued)('p1', 'r1');
    const error = await refusal(verifyJoinToken(token, SECRET, { now: () => issued + 301_000 }));
    expect([error.reason, error.message]).to.deep.equal(['expired', 'expired at 2026-01-01T00:05:00.000Z']);
  });

  it('refuses a token for another room than the one the game server expects', async () => {
    const token = await createJoinTokenSigner(SECRET, 300)('p1', 'r1');
    expect(await verifyJoinToken(token, SECRET, { room: 'r1' })).to.include({ sub: 'p1', room: 'r1' });
    const error = await refusal(verifyJoinToken(token, SECRET, { room: 'r2' }));
    expect([error.reason, error.message]).to.deep.equal(['room', 'for room r1, not r2']);
  });

  it('refuses another key, an unsigned token, missing or malformed claims and junk, each with its reason', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 'p1', room: 'r1', iat: now, exp: now + 60 };
    const cases: [string, string, InvalidJoinTokenReason, RegExp][] = [
      ['another key', await createJoinTokenSigner('another-secret', 300)('p1', 'r1'), 'signature', /signature/],
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`, 'algorithm', /HS256/],
      ['no room', signed({ alg: 'HS256', typ: 'JWT' }, { sub: 'p1', iat: now, exp: now + 60 }), 'claims', /room/],
      ['room not a string', signed({ alg: 'HS256', typ: 'JWT' }, { ...claims, room: 7 }), 'claims', /room/],
      ['no exp', signed({ alg: 'HS256', typ: 'JWT' }, { sub: 'p1', room: 'r1', iat: now }), 'claims', /exp/],
      ['an unknown critical header', signed({ alg: 'HS256', typ: 'JWT', crit: ['x-matchq'], 'x-matchq': 1 }, claims), 'malformed', /.+/],
      ['junk', 'not.a.jwt', 'malformed', /JWT/],
      ['empty', '', 'malformed', /JWT/],
    ];
    for (const [what, token, reason, message] of cases) {
      const error = await refusal(verifyJoinToken(token, SECRET));
      expect(error.reason, what).to.equal(reason);
      expect(error.message, what).to.match(message);
    }
  });
});
