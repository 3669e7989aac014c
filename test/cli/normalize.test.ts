import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rule, tempDir, writeRules } from '../helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/alertgate.js');

function cli(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input: options.input, encoding: 'utf8', env: { ...process.env, ...options.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const jsonLines = (text: string) => text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

/** A user's Falco mapping with one path that misses (`process.name` is not in output_fields). */
const MAPPING = `source: { const: falco }
time: time
name: rule
severity: priority
entities:
  process: output_fields.process.name
  container: output_fields["container.name"]
`;
const falco = readFileSync(join(ROOT, 'fixtures/formats/falco.ndjson'), 'utf8');

function files(mapping = MAPPING, input = falco) {
  const dir = tempDir();
  writeFileSync(join(dir, 'falco.yaml'), mapping);
  writeFileSync(join(dir, 'in.ndjson'), input);
  return { map: join(dir, 'falco.yaml'), input: join(dir, 'in.ndjson'), dir };
}

describe('alertgate normalize', () => {
  it('prints the canonical alert of each record in input order, and exits 0 when all are alerts', () => {
    const r = cli(['normalize', '--input', join(ROOT, 'fixtures/formats/falco.ndjson')]);
    expect(r.code).toBe(0);
    const alerts = jsonLines(r.stdout);
    expect(alerts.map((a) => [a.name, (a.entities as Record<string, string>).process])).toEqual([
      ['Terminal shell in container', 'bash'],
      ['Terminal shell in container', 'sh'],
      ['Terminal shell in container', 'bash'],
      ['Read sensitive file untrusted', 'cat'],
    ]);
    expect(alerts[0]!.raw).toEqual(JSON.parse(falco.split('\n')[0]!));
  });

  it('--no-raw leaves the input record out; an Alertmanager payload prints one alert per element', () => {
    const r = cli(['normalize', '--input', join(ROOT, 'fixtures/formats/alertmanager.ndjson'), '--no-raw']);
    expect(r.code).toBe(0);
    const alerts = jsonLines(r.stdout);
    expect(alerts.map((a) => a.id)).toEqual([
      'am-1a30ba71cca2921f-1675688925828',
      'am-c6eadffa33fcdf37-1634025063157',
      'am-bc97ff14869b13e3-1634025363157',
      expect.stringMatching(/^h-[0-9a-f]{32}$/),
      'am-1a30ba71cca2921f-1675688925828-resolved',
    ]);
    expect(alerts.every((a) => !('raw' in a))).toBe(true);
  });

  it('prints the dead letter of a record that is not an alert, with its reason, and exits 1', () => {
    const r = cli(['normalize', '--input', '-', '--format', 'falco', '--no-raw'], { input: `${falco.split('\n')[0]}\n{"rule":"x","time":"soon"}\nnot json\n` });
    expect(r.code).toBe(1);
    const [ok, badTime, notJson] = jsonLines(r.stdout);
    expect(ok).toMatchObject({ source: 'falco' });
    expect(badTime).toMatchObject({ line: 2, reason: expect.stringMatching(/^\/time \(time\): unparseable timestamp "soon"/) });
    expect(notJson).toMatchObject({ line: 3, reason: expect.stringMatching(/^invalid JSON/), raw: 'not json' });
  });

  it('--summary counts alerts by format, dead letters by class, and each mapped field absent', () => {
    const { map, input } = files(MAPPING, `${falco}{"time":"2026-01-01T00:00:00Z"}\n`);
    const r = cli(['normalize', '--input', input, '--format', 'generic', '--map', map, '--summary']);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      'alerts      4',
      '  generic 4',
      'invalid     1',
      '  schema 1',
      'absent mapped fields (none of their paths in the input)',
      '  entities.process: absent in 4 of 4 generic alerts (100%)',
      '  entities.container: absent in 1 of 4 generic alerts (25%)',
      '',
    ]);
  });

  it('names every format when --format is wrong, and asks for --map with generic', () => {
    const wrong = cli(['normalize', '--input', '-', '--format', 'syslog'], { input: '' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('--format: expected one of auto, canonical, generic, ecs, ocsf, suricata-eve, wazuh, falco, zeek-notice, sigma-match, alertmanager, got "syslog"');
    const noMap = cli(['normalize', '--input', '-', '--format', 'generic'], { input: '' });
    expect(noMap.code).toBe(1);
    expect(noMap.stderr).toContain('--format generic needs --map <mapping.yaml>');
  });
});

describe('a mapped field absent in most alerts', () => {
  const rules = () => writeRules({ 'shell.yaml': rule({ id: 'shell', conditions: { all: [{ fact: 'name', operator: 'equal', value: 'Terminal shell in container' }] } }) });

  it('is a line in the replay summary, text and JSON', () => {
    const { map, input } = files();
    const text = cli(['replay', '--rules', rules(), '--input', input, '--format', 'generic', '--map', map]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('\nabsent      entities.process: absent in 4 of 4 generic alerts (100%); check the mapping\n');
    expect(text.stdout).not.toContain('entities.container:');
    const json = cli(['replay', '--rules', rules(), '--input', input, '--format', 'generic', '--map', map, '--summary', 'json']);
    expect(JSON.parse(json.stdout).mostlyAbsent).toEqual([{ format: 'generic', field: 'entities.process', absent: 4, alerts: 4 }]);
  });

  it('is logged by the worker once per field, not once per alert', () => {
    const { map, dir } = files(MAPPING, falco.repeat(5));
    writeFileSync(join(dir, 'in.ndjson'), falco.repeat(5));
    const r = cli(['run', '--rules', rules(), '--input', join(dir, 'in.ndjson'), '--exit-on-end'], {
      env: { ALERTGATE_INPUT_FORMAT: 'generic', ALERTGATE_INPUT_MAPPING: map, ALERTGATE_LOG_LEVEL: 'warn', ALERTGATE_WATCH_RULES: 'false', ALERTGATE_HTTP_ENABLED: 'false' },
    });
    expect(r.code).toBe(0);
    const warnings = r.stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'mapped field absent in most alerts');
    expect(warnings).toEqual([expect.objectContaining({ level: 40, format: 'generic', field: 'entities.process', absent: 20, alerts: 20 })]);
    expect(r.stdout).toContain('absent      entities.process: absent in 20 of 20 generic alerts (100%); check the mapping');
  });
});
