/** A backing service that cannot be reached at start: shown as one line, then exit 1. */
export class BackingServiceUnavailable extends Error {
  override name = 'BackingServiceUnavailable';
  constructor(readonly service: 'RabbitMQ' | 'Redis' | 'PostgreSQL', url: string, howToStart: string, cause?: unknown) {
    super(`${service} is not reachable at ${redactUrl(url)}${cause instanceof Error && cause.message ? ` (${cause.message})` : ''}; start it with: ${howToStart}`);
  }
}

export const HOW_TO_START = {
  RabbitMQ: 'rabbitmq-server -detached',
  Redis: 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
  PostgreSQL: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
} as const;

/** Hides the password of a URL so it never reaches a log line. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
