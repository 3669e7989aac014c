import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { alert, at, rule, tempDir, writeRules, YAML_ALIAS_BOMB } from '../helpers.js';

const BIN = join(import.meta.dirname, '../../bin/alertgate.js');

const severityRule = (version: number, severity: string) =>
  rule({ id: 'by-severity', version, conditions: { all: [{ fact: 'severity', operator: 'equal', value: severity }] } });

/**
 * `alertgate run` on stdin with hot reload, decisions to a file. `logged` resolves at the next log line
 * matching a pattern (from the call on) and rejects if the worker exits first; `send` writes one alert
 * and waits until the worker has read it.
 */
async function startWorker(rulesDir: string) {
  const decisionsFile = join(tempDir(), 'decisions.ndjson');
  const child = spawn(process.execPath, [BIN, 'run', '--rules', rulesDir, '--input', '-', '--port', '0', '--exit-on-end'], {
    env: { ...process.env, ALERTGATE_DECISIONS: decisionsFile, ALERTGATE_LOG_LEVEL: 'info' },
  });
  let stderr = '';
  let exit: number | null | undefined;
  const waiters: { pattern: RegExp; from: number; resolve: (m: RegExpExecArray) => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const m = w.pattern.exec(stderr.slice(w.from));
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      } else if (exit !== undefined) w.reject(new Error(`the worker exited (${exit}) before logging ${w.pattern}:\n${stderr.slice(-3000)}`));
    }
  };
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    check();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exit = code;
      check();
      resolve(code);
    }),
  );
  const logged = (pattern: RegExp) => new Promise<RegExpExecArray>((resolve, reject) => waiters.push({ pattern, from: stderr.length, resolve, reject }));
  const url = (await logged(/"url":"(http:\/\/[^"]+)"/))[1]!;
  const metrics = async () => (await fetch(`${url}/metrics`)).text();
  const received = async () => Number(/^alertgate_alerts_received_total (\d+)$/m.exec(await metrics())?.[1]);
  const send = async (id: string, severity: string, minute: number) => {
    const before = await received();
    child.stdin.write(`${JSON.stringify(alert({ id, severity, time: at(minute) }))}\n`);
    while ((await received()) === before) await new Promise((r) => setTimeout(r, 10));
  };
  /** Ends the input; resolves with the exit code and the decisions written. */
  const end = async () => {
    child.stdin.end();
    const code = await exited;
    const decisions = readFileSync(decisionsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { alertId: string; decision: string; ruleVersion: number | null });
    return { code, decisions: decisions.map((d) => [d.alertId, d.decision, d.ruleVersion]) };
  };
  return { logged, send, metrics, end, stderr: () => stderr };
}

describe('alertgate run: rules hot reload', () => {
  it('applies a valid change without a restart, rejects an invalid one and keeps deciding with the old rules', async () => {
    const rulesDir = writeRules({ 'r.yaml': severityRule(1, 'high') });
    const { logged, send, metrics, end, stderr } = await startWorker(rulesDir);

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
    expect(stderr()).toMatch(/r\.yaml: \/owner: /);
    await send('a4', 'low', 3);
    const text = await metrics();
    expect(text).toMatch(/^alertgate_rule_reloads_total\{result="applied"\} 1$/m);
    expect(text).toMatch(/^alertgate_rule_reloads_total\{result="rejected"\} 1$/m);
    expect(await end()).toEqual({
      code: 0,
      decisions: [
        ['a1', 'promote', 1],
        ['a2', 'pass', null],
        ['a3', 'promote', 2],
        ['a4', 'promote', 2],
      ],
    });
  });

  it('keeps running and keeps the old rules when an alias bomb is written and when a file the rules need is deleted (the worker died of "Excessive alias count")', async () => {
    const usesCondition = (version: number) => rule({ id: 'by-severity', version, conditions: { all: [{ condition: 'is-high' }] } });
    const isHigh = { kind: 'conditions', conditions: { 'is-high': { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] } } };
    const rulesDir = writeRules({ 'conditions.yaml': isHigh, 'r.yaml': usesCondition(1), 'other.yaml': rule({ id: 'other', conditions: { all: [{ fact: 'source', operator: 'equal', value: 'nothing' }] } }) });
    const { logged, send, metrics, end, stderr } = await startWorker(rulesDir);

    await send('a1', 'high', 0);
    let rejected = logged(/"msg":"rules changed but are invalid; the running rules stay"/);
    writeFileSync(join(rulesDir, 'other.yaml'), YAML_ALIAS_BOMB);
    await rejected;
    expect(stderr()).toMatch(/other\.yaml: \/: aliases expand too far \(over maxAliasCount 100; [^"]*\): write the values out, or alias less \(line 2\)/);
    await send('a2', 'high', 1);

    rejected = logged(/"msg":"rules changed but are invalid; the running rules stay"/);
    rmSync(join(rulesDir, 'conditions.yaml'));
    await rejected;
    expect(stderr()).toMatch(/r\.yaml: \/conditions\/all\/0\/condition: unknown condition \\"is-high\\"/);
    await send('a3', 'high', 2);

    // Put right in an order where every state on the way is invalid too, so exactly one reload applies.
    const applied = logged(/"msg":"rules reloaded"/);
    writeFileSync(join(rulesDir, 'other.yaml'), stringify(rule({ id: 'other', conditions: { all: [{ fact: 'source', operator: 'equal', value: 'nothing' }] } })));
    writeFileSync(join(rulesDir, 'r.yaml'), stringify(usesCondition(2)));
    writeFileSync(join(rulesDir, 'conditions.yaml'), stringify(isHigh));
    await applied;
    await send('a4', 'high', 3);
    const text = await metrics();
    // The bomb and the deletion were rejected (a slow machine may also load a state on the way back).
    expect(Number(/^alertgate_rule_reloads_total\{result="rejected"\} (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^alertgate_rule_reloads_total\{result="applied"\} 1$/m);
    expect(await end()).toEqual({
      code: 0,
      decisions: [
        ['a1', 'promote', 1],
        ['a2', 'promote', 1],
        ['a3', 'promote', 1],
        ['a4', 'promote', 2],
      ],
    });
  });
});
