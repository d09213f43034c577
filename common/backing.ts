/** A backing service that cannot be reached at start: shown as one line, then exit 1. */
export class BackingServiceUnavailable extends Error {
  override name = 'BackingServiceUnavailable';
  constructor(
    readonly service: 'RabbitMQ' | 'Redis' | 'PostgreSQL',
    url: string,
    howToStart: string,
    cause?: unknown,
  ) {
    super(
      `${service} is not reachable at ${redactUrl(url)}${cause instanceof Error && cause.message ? ` (${cause.message})` : ''}; start it with: ${howToStart}`,
    );
  }
}

/** A port this process must listen on is taken (a second `npm start`, another program): one line, exit 1. */
export class PortInUse extends Error {
  override name = 'PortInUse';
  constructor(
    readonly port: number,
    fix: string,
  ) {
    super(`port ${port} is in use: another matchq, or another program, listens there; ${fix}`);
  }
}

/**
 * The broker refused matchq's topology (PRECONDITION_FAILED: a queue or exchange already
 * declared with other arguments, such as another QUEUE_TYPE): retrying cannot help.
 */
export class TopologyRefused extends Error {
  override name = 'TopologyRefused';
  constructor(detail: string) {
    super(`RabbitMQ refused the topology: ${detail}; delete that queue or exchange, or set QUEUE_TYPE to what it is`);
  }
}

export const HOW_TO_START = {
  RabbitMQ: 'rabbitmq-server -detached',
  Redis: 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
  PostgreSQL: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
} as const;

/** Hides the password of a URL so it never reaches a log line. */
export function redactUrl(url: string): string {
  // A list (AMQP_URL or REDIS_URL of a cluster): each node's URL on its own.
  if (url.includes(',')) return url.split(',').map(redactUrl).join(',');
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    // Not a URL (no scheme): there is no password field to hide.
    return url;
  }
}
