import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchemas, postgresUrl } from '../ledger/backends.js';
import { tempDir } from '../helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/alertgate.js');

interface Counts {
  true_positive: number;
  benign_positive: number;
  false_positive: number;
}
interface Summary {
  trainIncidents: number;
  verdicts: number;
  changes: { id: string; rule: string; file: string }[];
  applied: { rule: string; param: string; from: number; to: number; falsePositiveRemoved: number; truePositiveKept: number; truePositiveTotal: number }[];
  exceptions: { id: string; match: unknown }[];
  holdout: { rows: { rule: string; before: Counts; after: Counts }[]; totals: { before: Counts; after: Counts }; detectedBefore: string[]; detectedAfter: string[] };
  rulesDir: string;
}

/** scripts/tuning-demo.mjs: replay → simulated feedback → tune --apply → held-out replay, all through the CLI. */
function demo(extra: string[]): { summary: Summary; tables: string; dbArgs: string[] } {
  const out = tempDir('alertgate-demo-');
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/tuning-demo.mjs'), '--out', out, '--json', ...extra], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`tuning demo failed: ${r.stderr}`);
  const lines = r.stdout.trimEnd().split('\n');
  const dbArgs = extra.length > 0 ? extra : ['--db', join(out, 'ledger.sqlite')];
  return { summary: JSON.parse(lines.pop()!) as Summary, tables: lines.join('\n'), dbArgs };
}

const schemas: string[] = [];
afterAll(async () => dropSchemas(schemas));

describe('the feedback and tuning loop, end to end', () => {
  const backends = [
    { name: 'sqlite', args: () => [] as string[] },
    {
      name: 'postgres',
      args: () => {
        const schema = `tuning_e2e_${process.pid}_${randomBytes(3).toString('hex')}`;
        schemas.push(schema);
        return ['--db', postgresUrl()!, '--db-schema', schema];
      },
    },
  ];
  for (const backend of backends) {
    it.skipIf(backend.name === 'postgres' && !postgresUrl())(`${backend.name}: false-positive incidents fall on the held-out week, confirmed true positives are kept, and each change reverts byte for byte`, () => {
      const { summary, tables, dbArgs } = demo(backend.args());
      console.log(`\n[${backend.name}] ${tables}\n`);

      expect(summary.verdicts).toBeGreaterThan(30);
      expect(summary.applied.map((a) => `${a.rule}.${a.param}`).sort()).toEqual(['auth-brute-force.minFailures', 'exfil-volume.minBytes', 'signature-burst.minCount']);
      for (const a of summary.applied) {
        expect(a.truePositiveKept, a.rule).toBe(a.truePositiveTotal);
        expect(a.falsePositiveRemoved, a.rule).toBeGreaterThan(0);
        expect(a.to, a.rule).toBeGreaterThan(a.from);
        expect(a.to, `${a.rule}: within the 50% max step`).toBeLessThanOrEqual(a.from * 1.5);
      }
      const { totals, rows } = summary.holdout;
      expect(totals.after.false_positive).toBeLessThan(totals.before.false_positive / 4);
      expect(totals.after.true_positive).toBe(totals.before.true_positive);
      expect(summary.holdout.detectedAfter).toEqual(summary.holdout.detectedBefore);
      expect(summary.holdout.detectedBefore).toHaveLength(5);
      // Benign positives are real activity: the tuner does not treat them as noise to cut.
      expect(rows.find((r) => r.rule === 'recon-scan')).toMatchObject({ before: { benign_positive: 10 }, after: { benign_positive: 10 } });
      expect(summary.exceptions.map((e) => e.match)).toContainEqual({ entities: { host: 'backup-01' } });

      for (const change of summary.changes) {
        const r = spawnSync(process.execPath, [BIN, 'tune', '--rules', summary.rulesDir, ...dbArgs, '--revert', change.id, '--reason', 'e2e'], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        expect(readFileSync(join(summary.rulesDir, change.file), 'utf8')).toBe(readFileSync(join(ROOT, 'rules', change.file), 'utf8'));
      }
    });
  }
});
