import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLedgerLocation } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { rule, tempDir, writeRules } from '../helpers.js';

const BIN = join(import.meta.dirname, '../../bin/alertgate.js');

describe('alertgate tune --revert writes only inside the rules directory', () => {
  it('a ledger row naming ../../../../<dir>/x.yaml, or a link out of the rules directory, exits 1 with the reason and writes nothing', async () => {
    const rules = writeRules({ 'burst.yaml': rule({ id: 'burst' }) });
    const outside = tempDir('alertgate-outside-');
    const target = join(outside, 'x.yaml');
    writeFileSync(target, 'original: true\n');
    symlinkSync(target, join(rules, 'link.yaml'));
    const db = join(tempDir(), 'ledger.sqlite');
    const ledger = await Ledger.open(parseLedgerLocation(db));
    for (const [id, file] of [['tc-escape', `../../../../../..${target}`], ['tc-link', 'link.yaml']]) {
      await ledger.recordTuningChange({ id: id!, ruleId: 'burst', file: file!, param: 'minCount', from: 10, to: 16, versionBefore: 1, versionAfter: 2, beforeText: 'pwned: true\n', afterText: 'original: true\n', author: 'mallory', reason: 'x', evidence: {}, appliedAtMs: 0 });
    }
    await ledger.close();
    const env = { ...process.env };
    delete env.ALERTGATE_LEDGER;
    for (const [id, why] of [['tc-escape', 'outside the rules directory'], ['tc-link', `a symbolic link out of the rules directory (to ${target})`]]) {
      const r = spawnSync(process.execPath, [BIN, 'tune', '--db', db, '--rules', rules, '--revert', id!], { encoding: 'utf8', env });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^alertgate: rule file ".*": ${why!.replace(/[()]/g, '\\$&')}; the tuner only writes rule files inside the rules directory`));
    }
    expect(readFileSync(target, 'utf8')).toBe('original: true\n');
    expect(readdirSync(outside)).toEqual(['x.yaml']);
  });
});
