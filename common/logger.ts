import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout, one line an event, tagged with the service that wrote them. */
export function createLogger(service: string, level: string, extra: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service, ...extra }, timestamp: pino.stdTimeFunctions.isoTime });
}
