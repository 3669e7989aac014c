import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alert, at, rule, tempDir, writeRules } from '../helpers.js';

const BIN = join(import.meta.dirname, '../../bin/alertgate.js');

/** The output file's lines, checked to be UTF-8 that decodes to exactly the bytes written, then parsed. */
function lines(file: string): Record<string, unknown>[] {
  const bytes = readFileSync(file);
  expect(Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes)).toBe(true);
  return bytes.toString('utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('alerts with lone UTF-16 surrogates, through the file pipeline (alertgate replay)', () => {
  const out = tempDir('alertgate-lone-');
  const input = join(out, 'alerts.ndjson');
  const rules = writeRules({ 'by-host.yaml': rule({ id: 'by-host', conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] }, incident: { groupBy: ['entities.host'], window: '1h' } }) });
  // JSON escapes: the lines are ASCII, the strings they hold have lone surrogates.
  writeFileSync(
    input,
    [
      alert({ id: 'lone-\ud800', severity: 'high', time: at(0) }),
      alert({ id: 'lone-\udbff', severity: 'high', time: at(1) }),
      alert({ id: 'host-a', severity: 'high', time: at(2), name: 'sig \udc00', entities: { host: 'web-\ud800' } }),
      alert({ id: 'host-b', severity: 'high', time: at(3), name: 'sig \udc01', entities: { host: 'web-\udbff' } }),
    ]
      .map((a) => JSON.stringify(a))
      .join('\n') + '\n',
  );
  const run = () =>
    spawnSync(process.execPath, [BIN, 'replay', '--rules', rules, '--input', input, '--decisions', join(out, 'decisions.ndjson'), '--incidents', join(out, 'incidents.ndjson'), '--dead-letters', join(out, 'dead.ndjson')], { encoding: 'utf8' });

  it('ids lone-\\ud800 and lone-\\udbff become dead letters naming /id and the fix (both were keyed lone-\\ufffd and one decision was lost)', () => {
    const r = run();
    expect(r.status, r.stderr).toBe(0);
    const dead = lines(join(out, 'dead.ndjson'));
    expect(dead.map((d) => [d.line, d.reason])).toEqual(
      [['d800', 1], ['dbff', 2]].map(([unit, line]) => [
        line,
        `/id: an id must be well-formed Unicode, and this one has a lone UTF-16 surrogate (\\u${unit} at character 6), which UTF-8 and Kafka keys cannot carry: fix the encoding where the alert is produced, or leave the id out to have one derived from the line`,
      ]),
    );
    expect(lines(join(out, 'decisions.ndjson')).map((d) => d.alertId)).toEqual(['host-a', 'host-b']);
  });

  it('lone surrogates elsewhere (names, entities, so group keys) stay lossless in the JSON outputs: two hosts, two incidents', () => {
    expect(run().status).toBe(0);
    const incidents = lines(join(out, 'incidents.ndjson'));
    expect(incidents.map((i) => (i.groupKey as Record<string, string>)['entities.host'])).toEqual(['web-\ud800', 'web-\udbff']);
    expect(new Set(incidents.map((i) => i.id)).size).toBe(2);
    const decisions = lines(join(out, 'decisions.ndjson'));
    expect(decisions.map((d) => d.incidentId)).toEqual(incidents.map((i) => i.id));
    // The escapes are in the text as written: JSON.stringify writes a lone surrogate as \udXXX, never as U+FFFD.
    expect(readFileSync(join(out, 'incidents.ndjson'), 'utf8')).toContain('"entities.host":"web-\\ud800"');
    expect(readFileSync(join(out, 'incidents.ndjson'), 'utf8')).not.toContain('\ufffd');
  });
});
