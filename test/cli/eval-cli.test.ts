import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without types
import { generateNetwork } from '../../scripts/eval-data.mjs';
import { EvalReport } from '../../src/eval/score.js';
import { tempDir } from '../helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/alertgate.js');
const MAP = join(ROOT, 'fixtures/mappings/signature-stream.yaml');
const PACK = join(ROOT, 'packs/signature-stream');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('alertgate eval', () => {
  const dir = tempDir('alertgate-eval-cli-');
  const alerts = join(dir, 'alerts.ndjson');
  const labels = join(dir, 'labels.json');

  beforeAll(() => {
    const generated = generateNetwork('train', { scale: 'small' }) as { lines: string[]; labels: unknown };
    writeFileSync(alerts, `${generated.lines.join('\n')}\n`);
    writeFileSync(labels, JSON.stringify(generated.labels));
  });

  it('prints the totals, a line per rule and the phases not covered', () => {
    const r = cli(['eval', '--labels', labels, '--rules', PACK, '--format', 'generic', '--map', MAP, alerts]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^incidents {3}\d+ \([\d.]+\/day\), false positive \d+ \([\d.]+\/day\)$/m);
    expect(r.stdout).toMatch(/^phases {6}\d+ of \d+ covered \([\d.]+%\)$/m);
    expect(r.stdout).toMatch(/^rule +incidents +FP +incidents\/day +FP\/day +phases/m);
  });

  it("writes the simulated analyst's verdicts on a sample, and the ledger of a replay of the same alerts knows every incident they name", () => {
    const verdicts = join(dir, 'verdicts.ndjson');
    const r = cli(['eval', '--labels', labels, '--rules', PACK, '--format', 'generic', '--map', MAP, '--output', 'json', '--verdicts', verdicts, '--sample', '0.5', alerts]);
    expect(r.code, r.stderr).toBe(0);
    const report = EvalReport.parse(JSON.parse(r.stdout));
    const lines = readFileSync(verdicts, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { incidentId: string; verdict: string });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(report.incidents);
    expect(lines.filter((l) => l.verdict === 'false_positive').length).toBeLessThanOrEqual(report.falsePositiveIncidents);
    const db = join(dir, 'ledger.sqlite');
    const replay = cli(['replay', '--rules', PACK, '--format', 'generic', '--map', MAP, '--input', alerts, '--db', db]);
    expect(replay.code, replay.stderr).toBe(0);
    const imported = cli(['feedback', 'import', verdicts, '--db', db]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain(`${lines.length} recorded`);
  });

  it('refuses a labels file that does not parse, naming the file and the pointer', () => {
    const bad = join(dir, 'bad-labels.json');
    writeFileSync(bad, JSON.stringify({ from: '2026-11-20T00:00:00Z', to: 'tomorrow', attacks: [], attackAlerts: {} }));
    const r = cli(['eval', '--labels', bad, '--rules', PACK, alerts]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}: /to:`);
  });
});
