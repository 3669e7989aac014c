import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScenarioReport } from '../../src/ruletest/index.js';
import { tempDir } from '../helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/alertgate.js');

function alertgate(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A copy of the starter pack whose scenario tests can be edited. */
function copyOfRules(): string {
  const dir = join(tempDir(), 'rules');
  cpSync(join(ROOT, 'rules'), dir, { recursive: true });
  return dir;
}

describe('alertgate test', () => {
  it('passes the starter pack: exit 0 and a closing "N passed, 0 failed" line', () => {
    const r = alertgate(['test', 'rules']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^\d+ passed, 0 failed$/);
    expect(r.stdout).not.toMatch(/^FAIL/m);
  });

  it('fails with exit 1 and a located explanation when an expectation is broken', () => {
    const rules = copyOfRules();
    const file = join(rules, 'tests', 'auth-brute-force.yaml');
    // The 20th failure fires; claim the 19th does.
    writeFileSync(file, readFileSync(file, 'utf8').replace('- { at: 1..19, decision: pass }', '- { at: 19, decision: promote, rule: auth-brute-force }'));
    const r = alertgate(['test', rules]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `${file}: the 20th failed login from one address within 10 minutes is promoted, and later ones join its incident: ` +
        'alert #19 (try-19): expected promote by auth-brute-force, got pass (matched but did not fire: auth-brute-force failures=19 users=1)',
    );
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^\d+ passed, 1 failed$/);
  });

  it('--json prints the report, --tests picks another scenario directory', () => {
    const rules = copyOfRules();
    const r = alertgate(['test', rules, '--tests', join(rules, 'tests'), '--json']);
    expect(r.code).toBe(0);
    const report = ScenarioReport.parse(JSON.parse(r.stdout));
    expect(report.failed).toBe(0);
    expect(report.files).toBeGreaterThanOrEqual(9);
  });

  it('exits 2 when there is nothing to run', () => {
    const r = alertgate(['test', 'rules', '--tests', tempDir()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^alertgate: no scenario files \(\*\.yaml, \*\.yml, \*\.json\) in /);
  });
});
