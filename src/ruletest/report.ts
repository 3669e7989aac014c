import { z } from 'zod';

/** One scenario's result: every failure is a complete line, `file: scenario: what differed`. */
export const ScenarioResult = z.object({
  file: z.string(),
  name: z.string(),
  alerts: z.number().int().nonnegative(),
  failures: z.array(z.string()),
});
export type ScenarioResult = z.infer<typeof ScenarioResult>;

/** What `alertgate test` prints (as JSON with --json) and exits on: failed > 0 is exit 1. */
export const ScenarioReport = z.object({
  passed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  files: z.number().int().nonnegative(),
  scenarios: z.array(ScenarioResult),
});
export type ScenarioReport = z.infer<typeof ScenarioReport>;

export function reportOf(files: number, scenarios: readonly ScenarioResult[]): ScenarioReport {
  const failed = scenarios.filter((s) => s.failures.length > 0).length;
  return { passed: scenarios.length - failed, failed, files, scenarios: [...scenarios] };
}

/** One line per scenario, failures indented under theirs, and a closing `N passed, M failed` line. */
export function formatScenarioReport(report: ScenarioReport): string {
  const lines: string[] = [];
  for (const s of report.scenarios) {
    lines.push(`${s.failures.length === 0 ? 'ok  ' : 'FAIL'}  ${s.file}: ${s.name} (${s.alerts} alert${s.alerts === 1 ? '' : 's'})`);
    for (const failure of s.failures) lines.push(`      ${failure}`);
  }
  lines.push('', `${report.passed} passed, ${report.failed} failed`);
  return lines.join('\n');
}
