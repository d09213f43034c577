import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import { rabbitPermissions, redisAcls, redisAclRules } from '../../common/provision/roles.js';

const luaDirectory = new URL('../../common/lua/', import.meta.url);

/** Every command a Lua script of common/lua calls: Redis checks the caller's ACL on each. */
function scriptCommands(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of readdirSync(luaDirectory).filter((name) => name.endsWith('.lua'))) {
    for (const [, command] of readFileSync(new URL(file, luaDirectory), 'utf8').matchAll(/redis\.p?call\(\s*'([A-Za-z]+)'/g)) {
      found.set(command!.toLowerCase(), [...(found.get(command!.toLowerCase()) ?? []), file]);
    }
  }
  return found;
}

describe('provisioned roles (common/provision/roles.ts)', () => {
  it("lets every role that runs matchq's Lua scripts run every command in them", () => {
    const commands = scriptCommands();
    expect(commands.size).to.be.greaterThan(0);
    const acls = redisAcls();
    for (const role of ['gateway', 'matcher', 'notifier', 'allocator'] as const) {
      const allowed = new Set(acls[role]!.commands);
      expect(allowed.has('evalsha') && allowed.has('eval'), role).to.be.true;
      const missing = [...commands].filter(([command]) => !allowed.has(command)).map(([command, files]) => `${command} (${files.join(', ')})`);
      expect(missing, `${role} may not run`).to.deep.equal([]);
    }
  });

  it('keeps every Redis user to its namespace and off everything else', () => {
    for (const [role, acl] of Object.entries(redisAcls())) {
      const rules = redisAclRules('matchq', acl!);
      expect(
        rules.filter((rule) => rule.startsWith('~')),
        role,
      ).to.deep.equal(['~matchq:*']);
      expect(rules.indexOf('-@all'), role).to.be.below(rules.findIndex((rule) => rule.startsWith('+')));
      for (const dangerous of ['+flushall', '+flushdb', '+keys', '+config', '+acl', '+debug', '+shutdown', '+monitor', '+@all'])
        expect(rules, role).to.not.include(dangerous);
    }
  });

  it('never lets the analyst write to an exchange, and anchors every regex', () => {
    const permissions = rabbitPermissions('matchq');
    const analyst = permissions.analyst;
    for (const exchange of ['matchq.rooms', 'matchq.results', 'matchq.requests', 'matchq.deliveries', 'amq.default'])
      expect(new RegExp(analyst.write).test(exchange), exchange).to.be.false;
    expect(new RegExp(analyst.read).test('matchq.rooms') && new RegExp(analyst.read).test('matchq.results')).to.be.true;
    expect(new RegExp(analyst.configure).test('analyst.mine')).to.be.true;
    expect(new RegExp(analyst.configure).test('matchq.analyst.tap.1')).to.be.true;
    for (const theirs of ['matchq.pool.ffa3.global', 'matchq.notifier', 'matchq.history', 'matchq.analyst.', 'matchq.analystx'])
      expect(new RegExp(analyst.configure).test(theirs), theirs).to.be.false;
    for (const [role, { configure, write, read }] of Object.entries(permissions))
      for (const regex of [configure, write, read]) expect(regex, role).to.match(/^\^.*\$$/);
    // Anchored: a name that merely contains a granted one is not granted.
    expect(new RegExp(permissions.matcher.write).test('xmatchq.rooms')).to.be.false;
    expect(new RegExp(permissions.matcher.write).test('matchq.rooms.evil')).to.be.false;
  });
});
