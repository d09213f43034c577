import { createHmac, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createJoinTokenSigner, InvalidJoinToken, verifyJoinToken } from '../../common/join-token.js';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const part = (token: string, index: number) => JSON.parse(Buffer.from(token.split('.')[index]!, 'base64url').toString('utf8')) as Record<string, unknown>;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/** Join tokens: the contract's claims, HS256, checked the way any game server would. */
describe('join tokens', () => {
  it('is an HS256 JWT with sub = player, room = room, iat now and exp TTL later', async () => {
    const [playerId, roomId] = [randomUUID(), randomUUID()];
    const now = Date.UTC(2026, 11, 1, 12, 0, 0, 700);
    const token = await createJoinTokenSigner(SECRET, 300, () => now)(playerId, roomId);
    expect(part(token, 0)).to.deep.equal({ alg: 'HS256', typ: 'JWT' });
    expect(part(token, 1)).to.deep.equal({ room: roomId, sub: playerId, iat: now / 1000 - 0.7, exp: now / 1000 - 0.7 + 300 });
    expect(await verifyJoinToken(token, SECRET, () => now + 299_000)).to.deep.equal({
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

  it('refuses an expired token, naming when it expired', async () => {
    const issued = Date.UTC(2026, 0, 1);
    const token = await createJoinTokenSigner(SECRET, 300, () => issued)('p1', 'r1');
    const error = await rejection(verifyJoinToken(token, SECRET, () => issued + 301_000));
    expect(error).to.be.instanceOf(InvalidJoinToken);
    expect(error.message).to.equal('expired at 2026-01-01T00:05:00.000Z');
  });

  it('refuses another key, an unsigned token, a token without room and junk, each with a clear reason', async () => {
    const token = await createJoinTokenSigner(SECRET, 300)('p1', 'r1');
    expect((await rejection(verifyJoinToken(token, 'another-secret'))).message).to.match(/signature/);
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'p1', room: 'r1', iat: now, exp: now + 60 })}.`;
    expect(await rejection(verifyJoinToken(unsigned, SECRET))).to.be.instanceOf(InvalidJoinToken);
    const header = b64({ alg: 'HS256', typ: 'JWT' });
    const noRoomPayload = b64({ sub: 'p1', iat: now, exp: now + 60 });
    const noRoom = `${header}.${noRoomPayload}.${createHmac('sha256', SECRET).update(`${header}.${noRoomPayload}`).digest('base64url')}`;
    expect((await rejection(verifyJoinToken(noRoom, SECRET))).message).to.match(/room/);
    expect((await rejection(verifyJoinToken('not.a.jwt', SECRET))).message).to.match(/JWT/);
  });
});
