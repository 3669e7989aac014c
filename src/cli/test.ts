import type { Command } from 'commander';
import { runScenarioFiles, formatScenarioReport } from '../ruletest/index.js';
import { EXIT } from './exit-codes.js';
import { reportUserError } from './setup.js';

export function registerTest(program: Command, setExit: (code: number) => void): void {
  program
    .command('test')
    .description('Run rule scenario tests ("given these alerts, expect these decisions") kept in <rulesDir>/tests/*.yaml.')
    .argument('[rulesDir]', 'rules directory', 'rules')
    .option('--tests <dir>', 'scenario directory (default: <rulesDir>/tests)')
    .option('--json', 'print results as one JSON object')
    .action(async (rulesDir: string, opts: { tests?: string; json?: boolean }) => {
      try {
        const report = await runScenarioFiles({ rulesDir, testsDir: opts.tests ?? `${rulesDir}/tests` });
        process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : `${formatScenarioReport(report)}\n`);
        if (report.failed > 0) setExit(EXIT.invalid);
      } catch (err) {
        reportUserError(err, setExit);
      }
    });
}
