import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { RabbitPermissions } from './roles.js';

const run = promisify(execFile);

/**
 * What provisioning needs of a broker's user store. `rabbitmqctl` is the one implementation: it
 * is what an operator runs on (or `kubectl exec`s into) a broker node, it needs no plugin, and
 * it talks to the node over Erlang distribution with the node's cookie, never over the network
 * the services use.
 */
export interface RabbitUsers {
  /** What it manages, for messages: the command line without arguments. */
  readonly target: string;
  users(): Promise<Set<string>>;
  /** True when `password` is the user's password now. */
  authenticates(user: string, password: string): Promise<boolean>;
  addUser(user: string, password: string): Promise<void>;
  changePassword(user: string, password: string): Promise<void>;
  /** Every user's permissions on `vhost`. */
  permissions(vhost: string): Promise<Map<string, RabbitPermissions>>;
  setPermissions(user: string, vhost: string, permissions: RabbitPermissions): Promise<void>;
}

/**
 * `command` is argv: `rabbitmqctl`, `rabbitmqctl -n rabbit@host`, `docker exec rmq rabbitmqctl`.
 * A password is an argument of `add_user` and `authenticate_user` (rabbitmqctl 3.10 reads it
 * nowhere else): run provisioning where other users cannot list your processes.
 */
export function rabbitmqctl(command: string[], env: NodeJS.ProcessEnv = process.env): RabbitUsers {
  const [program, ...prefix] = command;
  if (!program) throw new Error('RABBITMQCTL is empty');
  const ctl = async (...args: string[]) => {
    try {
      return (await run(program, [...prefix, '-q', ...args], { env, timeout: 120_000 })).stdout;
    } catch (error) {
      // execFile's message repeats the whole command line, passwords included: keep only what rabbitmqctl said.
      const { code, stderr } = error as { code?: unknown; stderr?: string };
      const said = (stderr ?? '').split('\n').find((line) => line.trim()) ?? String(code);
      throw new Error(`rabbitmqctl ${args[0]} failed: ${said.trim()}`);
    }
  };
  return {
    target: command.join(' '),
    async users() {
      const users = JSON.parse(await ctl('list_users', '--formatter', 'json')) as { user: string }[];
      return new Set(users.map((entry) => entry.user));
    },
    authenticates: (user, password) =>
      ctl('authenticate_user', user, password).then(
        () => true,
        () => false,
      ),
    addUser: async (user, password) => void (await ctl('add_user', user, password)),
    changePassword: async (user, password) => void (await ctl('change_password', user, password)),
    async permissions(vhost) {
      const rows = JSON.parse(await ctl('list_permissions', '-p', vhost, '--formatter', 'json')) as ({ user: string } & RabbitPermissions)[];
      return new Map(rows.map((row) => [row.user, { configure: row.configure, write: row.write, read: row.read }]));
    },
    setPermissions: async (user, vhost, { configure, write, read }) => void (await ctl('set_permissions', '-p', vhost, user, configure, write, read)),
  };
}

/** Creates or updates each user and its permissions; one line per thing done or found as wanted. */
export async function provisionRabbit(
  users: RabbitUsers,
  vhost: string,
  wanted: { user: string; password: string; permissions: RabbitPermissions }[],
): Promise<string[]> {
  const report: string[] = [];
  const existing = await users.users();
  const granted = await users.permissions(vhost);
  for (const { user, password, permissions } of wanted) {
    if (!existing.has(user)) {
      await users.addUser(user, password);
      report.push(`rabbitmq user ${user}: created`);
    } else if (!(await users.authenticates(user, password))) {
      await users.changePassword(user, password);
      report.push(`rabbitmq user ${user}: password changed`);
    } else report.push(`rabbitmq user ${user}: unchanged`);
    const current = granted.get(user);
    const same = current && current.configure === permissions.configure && current.write === permissions.write && current.read === permissions.read;
    if (same) report.push(`rabbitmq permissions of ${user} on vhost ${vhost}: unchanged`);
    else {
      await users.setPermissions(user, vhost, permissions);
      report.push(
        `rabbitmq permissions of ${user} on vhost ${vhost}: ${current ? 'updated' : 'set'} (configure ${permissions.configure}, write ${permissions.write}, read ${permissions.read})`,
      );
    }
  }
  return report;
}
