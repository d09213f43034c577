import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs, one line an event, tagged with the service that wrote them: on stdout, or on stderr
 * for a command whose stdout is its output (the tap's NDJSON).
 */
export function createLogger(service: string, level: string, extra: Record<string, unknown> = {}, to: 'stdout' | 'stderr' = 'stdout'): Logger {
  const options = { level, base: { service, ...extra }, timestamp: pino.stdTimeFunctions.isoTime };
  return to === 'stderr' ? pino(options, pino.destination(2)) : pino(options);
}
