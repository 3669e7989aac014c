import type { Command } from 'commander';
import { loadRules } from '../rules/load.js';
import { formatProblem } from '../rules/problems.js';
import { EXIT } from './exit-codes.js';

export function registerValidate(program: Command, setExit: (code: number) => void): void {
  program
    .command('validate')
    .description('Check a rules directory: schema, facts, condition references, params, durations. Exit 1 with one line per problem.')
    .argument('<rulesDir>', 'directory of rule files (*.yaml, *.yml, *.json)')
    .option('--json', 'print the result as one JSON object')
    .action(async (rulesDir: string, opts: { json?: boolean }) => {
      const result = await loadRules(rulesDir);
      if (!result.ok) {
        if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, problems: result.problems })}\n`);
        else for (const p of result.problems) process.stdout.write(`${formatProblem(p)}\n`);
        setExit(EXIT.invalid);
        return;
      }
      const { ruleset } = result;
      const summary = {
        ok: true,
        files: result.files.length,
        promoteRules: ruleset.promoteRules.length,
        suppressRules: ruleset.suppressRules.length,
        disabledRules: ruleset.disabledRules.length,
        exceptions: ruleset.exceptions.length,
        // Every built-in construct compiles; there is no per-alert json-rules-engine fallback to report.
        compiled: ruleset.promoteRules.length + ruleset.suppressRules.length,
        fallback: 0,
        fingerprint: ruleset.fingerprint,
      };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(summary)}\n`);
        return;
      }
      process.stdout.write(
        `ok: ${summary.files} files, ${summary.promoteRules} promote and ${summary.suppressRules} suppress rules ` +
          `(${summary.disabledRules} disabled), ${summary.exceptions} exceptions; ` +
          `all ${summary.compiled} enabled rules compiled (no json-rules-engine fallback); fingerprint ${summary.fingerprint}\n`,
      );
    });
}
