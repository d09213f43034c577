import { ConfigError, configReaderOf, loadConfig, type Config } from './config.js';
import { BackingServiceUnavailable, PortInUse, TopologyRefused } from './backing.js';
import type { Logger } from './logger.js';

export interface RunningService {
  stop(): Promise<void>;
}

/**
 * The only place with signal handlers and process.exit: a service's main.ts calls this
 * with a factory. Bad config or an unreachable backing service at start is one clear
 * line on stderr and exit code 1; SIGTERM / SIGINT stop the service gracefully.
 */
export async function runService(service: string, start: (config: Config) => Promise<RunningService>): Promise<void> {
  let running: RunningService;
  try {
    running = await start(loadConfig(process.env, configReaderOf(service)));
  } catch (error) {
    exitOnStartError(service, error);
  }
  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    stopping ??= running.stop().then(
      () => process.exit(0),
      (error: Error) => {
        process.stderr.write(`matchq ${service}: error while stopping on ${signal}: ${error.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** Known start failures are one line and exit 1; anything else is a bug and keeps its stack. */
export function exitOnStartError(command: string, error: unknown): never {
  if (
    error instanceof ConfigError ||
    error instanceof BackingServiceUnavailable ||
    error instanceof UsageError ||
    error instanceof PortInUse ||
    error instanceof TopologyRefused ||
    isBadCommandLine(error)
  ) {
    process.stderr.write(`matchq ${command}: ${error.message.replace(/\s*\n\s*/g, ' ')}\n`);
    process.exit(1);
  }
  throw error;
}

/** node:util parseArgs refusing the options (unknown option, missing value): a usage error too. */
function isBadCommandLine(error: unknown): error is Error {
  const code: unknown = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** A command line that cannot be followed: shown as one line, exit 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Runs a one-shot command with the same start-error handling as a service. */
export async function runCommand(command: string, body: (config: Config) => Promise<void>): Promise<void> {
  try {
    await body(loadConfig(process.env, configReaderOf(command)));
  } catch (error) {
    exitOnStartError(command, error);
  }
}

/** Runs each cleanup step even if an earlier one fails (logged with its cause); bullmq's close() does the same. */
export async function stopInOrder(steps: (() => Promise<unknown> | unknown)[], logger: Pick<Logger, 'warn'>): Promise<void> {
  for (const [index, step] of steps.entries()) {
    try {
      await step();
    } catch (error) {
      // One broken dependency must not keep the others open.
      logger.warn({ err: (error as Error).message, step: index + 1 }, 'a stop step failed; stopping the rest');
    }
  }
}
