// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Lint, and the architecture as import rules: the folder tree says who may use whom.
 * - core/ is the pure matching core: it imports nothing of the project outside itself and no Node I/O.
 * - A service never imports another service; what they share lives in common/.
 * - Product code (core, common, services, cli, packages, migrations) never imports the harnesses
 *   (bench/, chaos/, test/); harnesses may import product code, and bench/ and chaos/ not each other.
 */
const HARNESSES = ['**/bench/**', '**/chaos/**', '**/test/**'];
const SERVICES = ['producer', 'matcher', 'notifier', 'recorder', 'allocator'];

const restrict = (patterns, message) => ({ 'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }] });

export default tseslint.config(
  { ignores: ['node_modules/**', '**/dist/**', 'dist.next-*/**', 'dist.old-*/**', 'var/**', 'services/producer/public/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      // `catch {}` and `() => undefined` are how we say "nothing to do"; an empty block says nothing.
      'no-empty': ['error', { allowEmptyCatch: false }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Casts through `unknown` are where we meet untyped libraries (ioredis commands, JSON).
      '@typescript-eslint/no-explicit-any': 'error',
      // A closure may read a variable that is assigned once, after it (a server's handler and the server).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // chai's property assertions (`.to.be.true`, `.that.is.not.empty`) are expressions by design.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
  {
    files: ['core/**/*.ts'],
    rules: restrict(['../*', 'node:*', 'fs', 'net', 'http', 'child_process'], 'core/ is pure: it imports nothing outside core/ and does no I/O'),
  },
  ...SERVICES.map((service) => ({
    files: [`services/${service}/**/*.ts`],
    rules: restrict(
      [
        ...SERVICES.filter((other) => other !== service).map((other) => `**/services/${other}/**`),
        ...SERVICES.filter((other) => other !== service).map((other) => `../${other}/**`),
        ...HARNESSES,
      ],
      `a service never imports another service or a harness (bench, chaos, test); share through common/`,
    ),
  })),
  {
    files: ['common/**/*.ts', 'cli/**/*.ts', 'packages/**/*.ts', 'migrations/**/*.ts'],
    rules: restrict(HARNESSES, 'product code never imports bench/, chaos/ or test/'),
  },
  {
    // The SDK ships alone (npm pack): nothing of the project outside its own folder.
    files: ['packages/client/src/**/*.ts'],
    rules: restrict(
      [...HARNESSES, '**/core/**', '**/common/**', '**/services/**', '**/cli/**', '**/migrations/**'],
      '@matchq/client ships alone: it imports only its own files and its dependencies',
    ),
  },
  // The harnesses never import one another: what two of them share (the process launcher) is product code in common/.
  {
    files: ['bench/**/*.ts'],
    rules: restrict(['**/test/**', '**/chaos/**'], 'benches use product code, never the chaos run or the test suite; share through common/'),
  },
  {
    files: ['chaos/**/*.ts'],
    rules: restrict(['**/test/**', '**/bench/**'], 'the chaos run uses product code, never the benches or the test suite; share through common/'),
  },
);
