import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { alert, at, rule, tempDir, writeRules } from '../helpers.js';

const BIN = join(import.meta.dirname, '../../bin/alertgate.js');

const severityRule = (version: number, severity: string) =>
  rule({ id: 'by-severity', version, conditions: { all: [{ fact: 'severity', operator: 'equal', value: severity }] } });

describe('alertgate run: rules hot reload', () => {
  it('applies a valid change without a restart, rejects an invalid one and keeps deciding with the old rules', async () => {
    const rulesDir = writeRules({ 'r.yaml': severityRule(1, 'high') });
    const out = tempDir();
    const decisionsFile = join(out, 'decisions.ndjson');
    const child = spawn(process.execPath, [BIN, 'run', '--rules', rulesDir, '--input', '-', '--port', '0', '--exit-on-end'], {
      env: { ...process.env, ALERTGATE_DECISIONS: decisionsFile, ALERTGATE_LOG_LEVEL: 'info' },
    });
    let stderr = '';
    const waiters: { pattern: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      for (const w of [...waiters]) {
        const m = w.pattern.exec(stderr);
        if (m) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    const logged = (pattern: RegExp) => new Promise<RegExpExecArray>((resolve) => waiters.push({ pattern, resolve }));
    const url = (await logged(/"url":"(http:\/\/[^"]+)"/))[1]!;
    const received = async () => Number(/^alertgate_alerts_received_total (\d+)$/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1]);
    /** Sends one alert and waits until the worker has read it. */
    const send = async (id: string, severity: string, minute: number) => {
      const before = await received();
      child.stdin.write(`${JSON.stringify(alert({ id, severity, time: at(minute) }))}\n`);
      while ((await received()) === before) await new Promise((r) => setTimeout(r, 10));
    };

    await send('a1', 'high', 0);
    const reloaded = logged(/"msg":"rules reloaded"/);
    writeFileSync(join(rulesDir, 'r.yaml'), stringify(severityRule(2, 'low')));
    await reloaded;
    await send('a2', 'high', 1);
    await send('a3', 'low', 2);
    const rejected = logged(/"msg":"rules changed but are invalid; the running rules stay"/);
    const { owner: _dropped, ...withoutOwner } = severityRule(3, 'high');
    writeFileSync(join(rulesDir, 'r.yaml'), stringify(withoutOwner));
    await rejected;
    expect(stderr).toMatch(/r\.yaml: \/owner: /);
    await send('a4', 'low', 3);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^alertgate_rule_reloads_total\{result="applied"\} 1$/m);
    expect(metrics).toMatch(/^alertgate_rule_reloads_total\{result="rejected"\} 1$/m);

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.stdin.end();
    expect(await exited).toBe(0);
    const decisions = readFileSync(decisionsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { alertId: string; decision: string; ruleVersion: number | null });
    expect(decisions.map((d) => [d.alertId, d.decision, d.ruleVersion])).toEqual([
      ['a1', 'promote', 1],
      ['a2', 'pass', null],
      ['a3', 'promote', 2],
      ['a4', 'promote', 2],
    ]);
  });
});
