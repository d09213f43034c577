import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';

/**
 * The migrations folder as knex reads it, whether it holds the TypeScript (under tsx) or the
 * build's JavaScript. knex records each migration by its file name, and every database so far
 * recorded `….ts`: a built `….js` keeps its source's name, so a database migrated from the
 * sources is up to date for the build too (and the reverse), not "corrupt, files missing".
 */
export function migrationFiles(directory: string): Knex.MigrationSource<string> {
  return {
    async getMigrations() {
      const files = await readdir(directory);
      return files.filter((file) => /\.(ts|js)$/.test(file) && !file.endsWith('.d.ts')).sort();
    },
    getMigrationName: (file) => file.replace(/\.js$/, '.ts'),
    getMigration: (file) => import(pathToFileURL(join(directory, file)).href) as Promise<Knex.Migration>,
  };
}
