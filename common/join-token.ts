import { errors, jwtVerify, SignJWT } from 'jose';

/** What a join token says: player `sub` may sit in room `room`, from `iat` until `exp` (seconds). */
export interface JoinClaims {
  sub: string;
  room: string;
  iat: number;
  exp: number;
}

/** A join token that does not verify, with a reason a game server operator can act on. */
export class InvalidJoinToken extends Error {
  override name = 'InvalidJoinToken';
}

const ALGORITHM = 'HS256';
const keyOf = (secret: string) => new TextEncoder().encode(secret);

/**
 * Signs each player's join token (HS256, key JOIN_TOKEN_SECRET): `sub` = player id, `room` =
 * room id, `iat` now and `exp` `ttlSeconds` later. The key is encoded once; `now` is for tests.
 */
export function createJoinTokenSigner(secret: string, ttlSeconds: number, now: () => number = Date.now) {
  const key = keyOf(secret);
  return (playerId: string, roomId: string): Promise<string> => {
    const iat = Math.floor(now() / 1000);
    return new SignJWT({ room: roomId })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(playerId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttlSeconds)
      .sign(key);
  };
}

/** Checks signature, algorithm and expiry as any game server would; the claims, or InvalidJoinToken. */
export async function verifyJoinToken(token: string, secret: string, now: () => number = Date.now): Promise<JoinClaims> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), {
      algorithms: [ALGORITHM],
      requiredClaims: ['sub', 'room', 'iat', 'exp'],
      currentDate: new Date(now()),
    });
    if (typeof payload.room !== 'string') throw new InvalidJoinToken('the room claim is not a string');
    return { sub: payload.sub!, room: payload.room, iat: payload.iat!, exp: payload.exp! };
  } catch (error) {
    throw new InvalidJoinToken(reasonOf(error));
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof InvalidJoinToken) return error.message;
  if (error instanceof errors.JWTExpired) return `expired at ${new Date(Number(error.payload.exp) * 1000).toISOString()}`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the signature does not match JOIN_TOKEN_SECRET';
  if (error instanceof errors.JOSEAlgNotAllowed) return `algorithm not allowed (only ${ALGORITHM})`;
  if (error instanceof errors.JWTClaimValidationFailed) return `claim ${error.claim}: ${error.reason}`;
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'not a JWT';
  return error instanceof Error ? error.message : String(error);
}
