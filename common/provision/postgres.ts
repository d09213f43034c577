import knex from 'knex';
import { migrateLatest } from '../db.js';
import type { TablePrivilege } from './roles.js';

const quiet = { warn: () => undefined, error: () => undefined, deprecate: () => undefined, debug: () => undefined };
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

export interface PostgresPlan {
  /** An administrator's URL (CREATEROLE and CREATEDB, or a superuser), naming matchq's database. */
  adminUrl: string;
  owner: { role: string; password: string };
  services: { role: string; password: string; tables: Record<string, TablePrivilege[]> }[];
}

const PRIVILEGES: TablePrivilege[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];

/**
 * Roles that log in with a password and may do nothing else (no superuser, no CREATEDB or
 * CREATEROLE); the database owned by the owner role; migrations run as the owner (SET ROLE), so
 * it owns every table; then each service role gets exactly its grants, table by table, and
 * loses any other. PUBLIC loses CONNECT on the database and CREATE in its public schema.
 */
export async function provisionPostgres(plan: PostgresPlan): Promise<string[]> {
  const report: string[] = [];
  const target = new URL(plan.adminUrl);
  const database = decodeURIComponent(target.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(database)) throw new Error(`database name ${JSON.stringify(database)} must be letters, digits and _`);
  const server = new URL(plan.adminUrl);
  server.pathname = '/postgres';
  const admin = knex({ client: 'pg', connection: server.toString(), pool: { min: 0, max: 1 }, log: quiet });
  try {
    for (const { role, password } of [plan.owner, ...plan.services]) {
      const exists = await admin('pg_roles').where({ rolname: role }).first('rolname');
      const attributes = 'login nosuperuser nocreatedb nocreaterole nobypassrls';
      await admin.raw(`${exists ? 'alter' : 'create'} role ${ident(role)} ${attributes} password ${literal(password)}`);
      report.push(`postgresql role ${role}: ${exists ? 'password and attributes set' : 'created'}`);
    }
    const found = await admin('pg_database').join('pg_roles', 'pg_roles.oid', 'pg_database.datdba').where({ datname: database }).first('rolname');
    if (!found) {
      await admin.raw(`create database ${ident(database)} owner ${ident(plan.owner.role)}`);
      report.push(`postgresql database ${database}: created, owned by ${plan.owner.role}`);
    } else if (found.rolname !== plan.owner.role) {
      await admin.raw(`alter database ${ident(database)} owner to ${ident(plan.owner.role)}`);
      report.push(`postgresql database ${database}: owner ${found.rolname} -> ${plan.owner.role}`);
    } else report.push(`postgresql database ${database}: unchanged, owned by ${plan.owner.role}`);
  } finally {
    await admin.destroy();
  }

  const db = knex({ client: 'pg', connection: plan.adminUrl, pool: { min: 0, max: 1 }, log: quiet });
  try {
    await db.raw(`revoke all on database ${ident(database)} from public`);
    await db.raw('revoke create on schema public from public');
    for (const { role } of plan.services) await db.raw(`grant connect on database ${ident(database)} to ${ident(role)}`);
    // Tables made before the owner role existed (by an administrator's migrations) move to it.
    const strays = (await db('pg_tables').where({ schemaname: 'public' }).whereNot({ tableowner: plan.owner.role }).select('tablename', 'tableowner')) as {
      tablename: string;
      tableowner: string;
    }[];
    for (const { tablename, tableowner } of strays) {
      await db.raw(`alter table ${ident(tablename)} owner to ${ident(plan.owner.role)}`);
      report.push(`postgresql table ${tablename}: owner ${tableowner} -> ${plan.owner.role}`);
    }
  } finally {
    await db.destroy();
  }

  const applied = await migrateAs(plan.adminUrl, plan.owner.role);
  report.push(applied.length > 0 ? `postgresql migrations applied as ${plan.owner.role}: ${applied.join(', ')}` : 'postgresql migrations: up to date');

  const grants = knex({ client: 'pg', connection: plan.adminUrl, pool: { min: 0, max: 1 }, log: quiet });
  try {
    const tables = new Set(
      ((await grants('pg_tables').where({ schemaname: 'public' }).select('tablename')) as { tablename: string }[]).map((row) => row.tablename),
    );
    for (const { role, tables: wanted } of plan.services) {
      for (const table of [...tables].sort()) {
        const want = new Set(wanted[table] ?? []);
        const have = new Set<TablePrivilege>();
        for (const privilege of PRIVILEGES) {
          const row = (await grants.raw('select has_table_privilege(?, ?, ?) as yes', [role, `public.${ident(table)}`, privilege])).rows[0] as { yes: boolean };
          if (row.yes) have.add(privilege);
        }
        const add = [...want].filter((privilege) => !have.has(privilege));
        const drop = [...have].filter((privilege) => !want.has(privilege));
        if (add.length > 0) await grants.raw(`grant ${add.join(', ')} on ${ident(table)} to ${ident(role)}`);
        // Truncate, references and triggers too: a service needs none of them.
        if (drop.length > 0 || want.size === 0) await grants.raw(`revoke ${want.size === 0 ? 'all' : drop.join(', ')} on ${ident(table)} from ${ident(role)}`);
        if (add.length > 0 || drop.length > 0)
          report.push(`postgresql ${role} on ${table}: ${[...add.map((privilege) => `+${privilege}`), ...drop.map((privilege) => `-${privilege}`)].join(' ')}`);
      }
      for (const table of Object.keys(wanted)) if (!tables.has(table)) throw new Error(`postgresql: table ${table} granted to ${role} does not exist`);
      report.push(
        `postgresql ${role}: ${Object.entries(wanted)
          .map(([table, privileges]) => `${table} ${privileges.join('/')}`)
          .join(', ')}`,
      );
    }
  } finally {
    await grants.destroy();
  }
  return report;
}

/** Runs the migrations as `role` (SET ROLE on the one pooled connection), so the tables are its own. */
async function migrateAs(adminUrl: string, role: string): Promise<string[]> {
  const db = knex({
    client: 'pg',
    connection: adminUrl,
    log: quiet,
    pool: {
      min: 0,
      max: 1,
      afterCreate: (connection: { query(sql: string, done: (error?: Error) => void): void }, done: (error?: Error) => void) =>
        connection.query(`set role ${ident(role)}`, done),
    },
  });
  try {
    return await migrateLatest(db);
  } finally {
    await db.destroy();
  }
}

/** Drops what provisionPostgres made for `roles` (tests: roles are cluster-wide). The database must be dropped first. */
export async function dropPostgresRoles(adminUrl: string, roles: string[]): Promise<void> {
  const server = new URL(adminUrl);
  server.pathname = '/postgres';
  const admin = knex({ client: 'pg', connection: server.toString(), pool: { min: 0, max: 1 }, log: quiet });
  try {
    for (const role of roles) await admin.raw(`drop role if exists ${ident(role)}`);
  } finally {
    await admin.destroy();
  }
}
