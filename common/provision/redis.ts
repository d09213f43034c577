import type { Redis } from 'ioredis';
import { redisAclRules, type RedisAcl } from './roles.js';

/**
 * ACL SETUSER from a clean slate (`reset`) each time, so a rule dropped from roles.ts is dropped
 * from the server too; ACL GETUSER before and after tells whether anything changed. When the
 * server keeps its users in an aclfile, ACL SAVE writes them there, or a restart would lose them.
 */
export async function provisionRedis(admin: Redis, namespace: string, wanted: { user: string; password: string; acl: RedisAcl }[]): Promise<string[]> {
  const report: string[] = [];
  for (const { user, password, acl } of wanted) {
    const before = JSON.stringify(await admin.call('ACL', 'GETUSER', user));
    await admin.call('ACL', 'SETUSER', user, 'reset', 'on', `>${password}`, ...redisAclRules(namespace, acl));
    const after = JSON.stringify(await admin.call('ACL', 'GETUSER', user));
    report.push(
      `redis user ${user}: ${before === 'null' ? 'created' : before === after ? 'unchanged' : 'updated'} (keys ${namespace}:*, ${acl.commands.length} commands)`,
    );
  }
  const [, aclfile] = (await admin.call('CONFIG', 'GET', 'aclfile')) as string[];
  if (aclfile) {
    await admin.call('ACL', 'SAVE');
    report.push(`redis users saved to ${aclfile}`);
  }
  return report;
}
