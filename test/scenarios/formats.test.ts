import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';

/**
 * Each built-in format's fixture replayed through `alertgate replay` with fixtures/formats/rules: the
 * format is recognized (--format auto), every record is read, and the format's rule fires.
 */
const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/alertgate.js');
const RULES = join(ROOT, 'fixtures/formats/rules');

function replay(input: string, format = 'auto') {
  const dir = tempDir();
  const out = (name: string) => join(dir, `${name}.ndjson`);
  const r = spawnSync(
    process.execPath,
    [BIN, 'replay', '--rules', RULES, '--input', input, '--format', format, '--summary', 'json', '--decisions', out('decisions'), '--incidents', out('incidents'), '--dead-letters', out('dead-letters')],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`replay exited ${r.status}: ${r.stderr}`);
  const records = (name: string) =>
    readFileSync(out(name), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    summary: JSON.parse(r.stdout) as Record<string, number>,
    decisions: records('decisions'),
    incidents: records('incidents').map((i) => [i.ruleId, i.title, i.alertCount]),
    deadLetters: records('dead-letters'),
    bytes: ['decisions', 'incidents', 'dead-letters'].map((n) => readFileSync(out(n), 'utf8')).join('\u0000'),
  };
}

const fixture = (name: string) => join(ROOT, 'fixtures/formats', `${name}.ndjson`);

describe('built-in formats replayed with a rule each', () => {
  it.each([
    ['ecs', 4, [['ecs-repeated-source', 'Repeated Potential SSH Brute Force Detected from 198.51.100.23', 1]]],
    ['ocsf', 3, [['ocsf-web-attack-repeated', 'Repeated Possible IDOR Attack Detected on WebServer1005 from 134.209.118.137', 1]]],
    ['suricata-eve', 5, [['suricata-signature-repeated', 'ET HUNTING GENERIC SUSPICIOUS POST to Dotted Quad with Fake Browser 1 from 192.168.2.14', 1]]],
    ['wazuh', 6, [['wazuh-ssh-failures', 'SSH login failures on centqiang from 192.168.112.188', 1]]],
    [
      'falco',
      4,
      [
        ['falco-shell-in-container', 'Shell in container: process=bash container=a98c2aa8e670', 1],
        ['falco-shell-in-container', 'Shell in container: process=sh container=alpine', 2],
      ],
    ],
    ['zeek-notice', 3, [['zeek-ssh-password-guessing', 'SSH password guessing from 172.16.238.1', 2]]],
    ['sigma-match', 4, [['sigma-critical-hit', 'Security Audit Logs Cleared on PC1', 1]]],
    ['alertmanager', 5, [['alertmanager-critical-firing', 'ProbeFailure: https://server.example.org', 1]]],
  ])('%s: %i alerts read, the rule fires', (format, alerts, incidents) => {
    const auto = replay(fixture(format));
    expect(auto.summary).toMatchObject({ alerts, invalid: 0 });
    expect(auto.decisions).toHaveLength(alerts);
    expect(auto.incidents).toEqual(incidents);
    // Naming the format gives the same outputs as recognizing it.
    expect(replay(fixture(format), format).bytes).toBe(auto.bytes);
  });

  it('an Alertmanager payload counts one alert per element: alerts = promoted + suppressed + passed + invalid, deterministically', () => {
    const dir = tempDir();
    const input = join(dir, 'am.ndjson');
    const lines = readFileSync(fixture('alertmanager'), 'utf8').trim().split('\n');
    const bad = JSON.parse(lines[1]!) as { alerts: Record<string, unknown>[] };
    bad.alerts[1]!.startsAt = 'yesterday';
    writeFileSync(input, [...lines, JSON.stringify(bad), '{"receiver":"x","groupKey":"{}","alerts":[]}'].join('\n') + '\n');
    const first = replay(input);
    const { alerts, promoted, suppressed, passed, invalid } = first.summary;
    expect({ alerts, invalid }).toEqual({ alerts: 5 + 2 + 1, invalid: 2 });
    expect(promoted! + suppressed! + passed! + invalid!).toBe(alerts);
    expect(first.decisions).toHaveLength(alerts! - invalid!);
    expect(first.deadLetters.map((d) => [d.line, (d.reason as string).split(':')[0]])).toEqual([
      [5, '/alerts/1/startsAt (time)'],
      [6, '/alerts'],
    ]);
    expect(replay(input).bytes).toBe(first.bytes);
  });

  it('reads all the fixtures mixed in one input', () => {
    const dir = tempDir();
    const input = join(dir, 'mixed.ndjson');
    const names = ['ecs', 'ocsf', 'suricata-eve', 'wazuh', 'falco', 'zeek-notice', 'sigma-match', 'alertmanager'];
    writeFileSync(input, names.map((n) => readFileSync(fixture(n), 'utf8')).join(''));
    const r = spawnSync(process.execPath, [BIN, 'normalize', '--input', input, '--summary'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('invalid     0\n');
    for (const [name, n] of [['ecs', 4], ['ocsf', 3], ['suricata-eve', 5], ['wazuh', 6], ['falco', 4], ['zeek-notice', 3], ['sigma-match', 4], ['alertmanager', 5]] as const) {
      expect(r.stdout).toContain(`\n  ${name} ${n}\n`);
    }
  });
});
