import { InvalidJoinToken, verifyJoinToken } from '../packages/client/src/join-token.js';
import { runCommand, UsageError } from '../common/run-service.js';

/**
 * `npm run verify-token -- TOKEN`: checks a player's join token with JOIN_TOKEN_SECRET, as a game
 * server would, and prints its claims as one JSON line; a token that does not verify is one
 * line on stderr and exit 1. The secret itself is never printed.
 */
await runCommand('verify-token', async (config) => {
  const [token, ...rest] = process.argv.slice(2);
  if (!token || rest.length > 0) throw new UsageError('usage: npm run verify-token -- TOKEN');
  if (!config.JOIN_TOKEN_SECRET) throw new UsageError('JOIN_TOKEN_SECRET is not set; it is the key the tokens were signed with');
  try {
    const claims = await verifyJoinToken(token, config.JOIN_TOKEN_SECRET);
    process.stdout.write(`${JSON.stringify(claims)}\n`);
    process.stderr.write(`valid: player ${claims.sub}, room ${claims.room}, until ${new Date(claims.exp * 1000).toISOString()}\n`);
  } catch (error) {
    if (!(error instanceof InvalidJoinToken)) throw error;
    process.stderr.write(`matchq verify-token: invalid join token: ${error.message}\n`);
    process.exitCode = 1;
  }
});
