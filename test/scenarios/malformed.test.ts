import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';

const ROOT = join(import.meta.dirname, '../..');

describe('alertgate replay of fixtures/malformed.ndjson plus an oversized line', () => {
  it('dead-letters every malformed line with its reason and decides the valid ones around them', () => {
    const dir = tempDir('alertgate-malformed-');
    const input = join(dir, 'in.ndjson');
    // The oversized line is made here: 1.1 MiB does not belong in git.
    const oversized = JSON.stringify({ time: '2026-11-16T12:00:30Z', source: 'suricata', name: 'huge', severity: 'low', raw: { payload: 'A'.repeat(1_150_000) } });
    const lines = readFileSync(join(ROOT, 'fixtures/malformed.ndjson'), 'utf8').split('\n').slice(0, -1);
    writeFileSync(input, [...lines.slice(0, -1), oversized, lines.at(-1)!, ''].join('\n'));
    const out = { decisions: join(dir, 'd.ndjson'), deadLetters: join(dir, 'dl.ndjson') };
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/alertgate.js'), 'replay', '--rules', 'rules', '--input', input, '--decisions', out.decisions, '--dead-letters', out.deadLetters, '--summary', 'json'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ alerts: 11, invalid: 9, passed: 2 });
    const decided = readFileSync(out.decisions, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { alertId: string });
    expect(decided.map((d) => d.alertId)).toEqual(['valid-first', 'valid-last']);
    const deadLetters = readFileSync(out.deadLetters, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: number; reason: string; raw: string; truncated: boolean });
    expect(deadLetters.map((d) => d.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(deadLetters.every((d) => d.reason.length > 0)).toBe(true);
    const huge = deadLetters.at(-1)!;
    expect(huge.reason).toMatch(/\b\d{7} bytes, over the .*limit/);
    expect(huge.raw.length).toBeLessThanOrEqual(1024);
  });
});
