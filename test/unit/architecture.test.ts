import { expect } from 'chai';
import { ESLint } from 'eslint';

/**
 * The import rules in eslint.config.js are the architecture: this proves each one bites,
 * so a rule that silently stopped matching (a renamed folder, a typo in a glob) fails here.
 */
describe('architecture: the import rules of eslint.config.js', function () {
  this.timeout(60_000);
  const eslint = new ESLint();
  const violations = async (file: string, code: string) =>
    (await eslint.lintText(code, { filePath: file }))[0]!.messages.filter((message) => message.ruleId === 'no-restricted-imports').length;

  const cases: [string, string, number][] = [
    ['core/example.ts', "import { loadConfig } from '../common/config.js';", 1],
    ['core/example.ts', "import { readFileSync } from 'node:fs';", 1],
    ['core/example.ts', "import { windowAt } from './rule.js';", 0],
    ['services/producer/example.ts', "import { createMatcher } from '../matcher/matcher.js';", 1],
    ['services/notifier/example.ts', "import { loadConfig } from '../../common/config.js';", 0],
    ['cli/example.ts', "import { runLoadSession } from '../bench/load/session.js';", 1],
    ['common/example.ts', "import { newNamespace } from '../test/support/namespace.js';", 1],
    ['bench/example.ts', "import { newNamespace } from '../test/support/namespace.js';", 1],
    ['bench/example.ts', "import { startPrivateRabbit } from '../chaos/private-nodes.js';", 1],
    ['bench/load/example.ts', "import { Ledger } from '../../chaos/ledger.js';", 1],
    ['chaos/example.ts', "import { runLoad } from '../bench/load/generator.js';", 1],
    ['bench/example.ts', "import { Launcher } from '../common/launcher.js';", 0],
    ['chaos/example.ts', "import { Launcher } from '../common/launcher.js';", 0],
    ['test/unit/example.ts', "import { runLoadSession } from '../../bench/load/session.js';", 0],
    ['packages/client/src/wire/example.ts', "import { loadConfig } from '../../../../common/config.js';", 1],
    ['packages/client/src/example.ts', "import { parseServerFrame } from './wire/index.js';", 0],
  ];
  for (const [file, code, expected] of cases) {
    it(`${file}: ${code} → ${expected ? 'refused' : 'allowed'}`, async () => {
      expect(await violations(file, `${code}\nexport {};\n`)).to.equal(expected);
    });
  }
});
