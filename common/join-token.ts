import { SignJWT } from 'jose';

/**
 * Signs each player's join token (HS256, key JOIN_TOKEN_SECRET): `sub` = player id, `room` =
 * room id, `iat` now and `exp` `ttlSeconds` later. The key is encoded once; `now` is for tests.
 * Checking one is the SDK's `verifyJoinToken` (packages/client/src/join-token.ts), the one game
 * servers use; `npm run verify-token` and the tests import it from there.
 */
export function createJoinTokenSigner(secret: string, ttlSeconds: number, now: () => number = Date.now) {
  const key = new TextEncoder().encode(secret);
  return (playerId: string, roomId: string): Promise<string> => {
    const iat = Math.floor(now() / 1000);
    return new SignJWT({ room: roomId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(playerId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttlSeconds)
      .sign(key);
  };
}
