// jose runs on Web Crypto: the same code verifies in Node and in a browser or worker.
import { errors, jwtVerify } from 'jose';

/** What a join token says: player `sub` may sit in room `room`, from `iat` until `exp` (seconds since the epoch). */
export interface JoinClaims {
  sub: string;
  room: string;
  iat: number;
  exp: number;
}

/**
 * Why a join token was refused: `expired`; `signature` (another key); `algorithm` (not HS256,
 * `none` included); `claims` (one missing or malformed); `room` (a token for another room than
 * the one expected); `malformed` (not a JWT at all).
 */
export type InvalidJoinTokenReason = 'expired' | 'signature' | 'algorithm' | 'claims' | 'room' | 'malformed';

/** A join token that does not verify; `reason` to branch on, `message` for the operator's log. */
export class InvalidJoinToken extends Error {
  override name = 'InvalidJoinToken';
  constructor(
    readonly reason: InvalidJoinTokenReason,
    message: string,
  ) {
    super(message);
  }
}

export interface VerifyJoinTokenOptions {
  /** The room this game server was allocated: a token for any other room is refused (`room`). */
  room?: string;
  /** The clock, in ms since the epoch (for tests); `Date.now` by default. */
  now?: () => number;
}

const ALGORITHM = 'HS256';

/**
 * For game servers: checks a player's join token (the `joinToken` of their `matched` frame) as
 * the contract signs it (HS256 with the key JOIN_TOKEN_SECRET; `sub`, `room`, `iat`, `exp`), and
 * resolves with its claims, or rejects with InvalidJoinToken. Admit player `sub` to room `room`.
 */
export async function verifyJoinToken(token: string, secret: string | Uint8Array, options: VerifyJoinTokenOptions = {}): Promise<JoinClaims> {
  let claims: JoinClaims;
  try {
    const { payload } = await jwtVerify(token, typeof secret === 'string' ? new TextEncoder().encode(secret) : secret, {
      algorithms: [ALGORITHM],
      requiredClaims: ['sub', 'room', 'iat', 'exp'],
      currentDate: new Date((options.now ?? Date.now)()),
    });
    if (typeof payload.room !== 'string') throw new InvalidJoinToken('claims', 'claim room: not a string');
    claims = { sub: payload.sub!, room: payload.room, iat: payload.iat!, exp: payload.exp! };
  } catch (error) {
    throw refusal(error);
  }
  if (options.room !== undefined && claims.room !== options.room) throw new InvalidJoinToken('room', `for room ${claims.room}, not ${options.room}`);
  return claims;
}

function refusal(error: unknown): Error {
  if (error instanceof InvalidJoinToken) return error;
  if (error instanceof errors.JWTExpired) return new InvalidJoinToken('expired', `expired at ${new Date(Number(error.payload.exp) * 1000).toISOString()}`);
  if (error instanceof errors.JWSSignatureVerificationFailed) return new InvalidJoinToken('signature', 'the signature does not match JOIN_TOKEN_SECRET');
  if (error instanceof errors.JOSEAlgNotAllowed) return new InvalidJoinToken('algorithm', `algorithm not allowed (only ${ALGORITHM})`);
  if (error instanceof errors.JWTClaimValidationFailed) return new InvalidJoinToken('claims', `claim ${error.claim}: ${error.reason}`);
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return new InvalidJoinToken('malformed', 'not a JWT');
  // Anything else jose refuses (an unknown `crit` header, say) is still the token's fault.
  if (error instanceof errors.JOSEError) return new InvalidJoinToken('malformed', error.message);
  // Not the token's fault (a runtime without Web Crypto, say): the caller sees it as it is.
  return error instanceof Error ? error : new Error(String(error));
}
