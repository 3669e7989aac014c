import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLedgerLocation } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import { applyProposal, editRuleText, revertChange, TuningConflict } from '../../src/tune/apply.js';
import type { Proposal } from '../../src/tune/report.js';
import { RuleFileRefused } from '../../src/tune/rule-file-path.js';
import { tempDir, writeRules } from '../helpers.js';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

/** A rule file in one of the ways people write them, with comments that must survive. */
function ruleText(style: 'block' | 'flow' | 'json' | 'list' | 'multi', comment: string, value: number, version: number): string {
  const body = [
    `id: burst  # ${comment}`,
    `version: ${version}`,
    'title: "Burst on {{entities.host}}"',
    'description: >',
    '  Folded text that a re-serializer',
    '  would be tempted to reflow.',
    'owner: soc',
    'severity: medium',
    'category: other',
    'decision: promote',
    'params:',
    style === 'flow' ? `  minCount: { value: ${value}, min: 5, max: 200, step: 5 }   # ${comment}` : `  minCount:\n    value: ${value}   # ${comment}\n    min: 5\n    max: 200\n    step: 5`,
    'match: { all: [] }',
    'window: { groupBy: [entities.host], size: 5m }',
    'aggregates:',
    '  hits: { kind: count }',
    'conditions:',
    '  all:',
    '    - { fact: hits, operator: greaterThanInclusive, value: { fact: params, path: $.minCount } }',
  ].join('\n');
  const other = 'id: other\nversion: 7\ntitle: t\nowner: o\nseverity: low\ncategory: other\ndecision: promote\nconditions: { all: [] }';
  switch (style) {
    case 'block':
    case 'flow':
      return `# ${comment}\n${body}\n`;
    case 'json':
      return `${JSON.stringify({ id: 'burst', version, title: 't', owner: 'soc', severity: 'medium', category: 'other', decision: 'promote', params: { minCount: { value, min: 5, max: 200, step: 5 } }, match: { all: [] }, window: { groupBy: ['entities.host'], size: '5m' }, aggregates: { hits: { kind: 'count' } }, conditions: { all: [{ fact: 'hits', operator: 'greaterThanInclusive', value: { fact: 'params', path: '$.minCount' } }] } }, null, comment.length % 3)}\n`;
    case 'list':
      return `# ${comment}\n- ${other.replaceAll('\n', '\n  ')}\n- ${body.replaceAll('\n', '\n  ')}\n`;
    case 'multi':
      return `${other}\n---\n# ${comment}\n${body}\n`;
  }
}

const proposal = (from: number, to: number, version: number, file: string): Proposal => ({
  ruleId: 'burst',
  file,
  version,
  portability: 'carries-over',
  param: 'minCount',
  from,
  to,
  falsePositiveRemoved: 1,
  falsePositiveTotal: 1,
  benignPositiveRemoved: 0,
  unreviewedRemoved: 0,
  truePositiveKept: 1,
  truePositiveTotal: 1,
  truePositiveUnknown: 0,
  recall: 1,
  incidentsPerDayBefore: 2,
  incidentsPerDayAfter: 1,
  removedIncidents: ['inc-1'],
});

describe('tune --apply and --revert', () => {
  let ledger: Ledger;
  beforeAll(async () => {
    ledger = await Ledger.open(parseLedgerLocation(join(tempDir(), 'ledger.sqlite')), { now: () => T0 });
  });
  afterAll(async () => ledger.close());

  it('property: apply changes exactly the value and the version, and revert restores the file byte for byte', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('block' as const, 'flow' as const, 'json' as const, 'list' as const, 'multi' as const),
        fc.stringMatching(/^[a-z0-9 ,.()#:-]{0,30}$/),
        fc.integer({ min: 1, max: 38 }),
        fc.integer({ min: 1, max: 38 }),
        fc.integer({ min: 1, max: 50 }),
        async (style, comment, fromStep, toStep, version) => {
          const from = 5 + fromStep * 5;
          const to = 5 + toStep * 5;
          const file = style === 'json' ? 'burst.json' : 'burst.yaml';
          const dir = writeRules({ [file]: ruleText(style, comment, from, version) });
          const before = readFileSync(join(dir, file), 'utf8');
          const options = { rulesDir: dir, ledger, changelog: join(dir, 'CHANGELOG.md'), author: 'eng', reason: 'noise', nowMs: T0 + n++ };
          const change = await applyProposal(proposal(from, to, version, file), options);
          const after = readFileSync(join(dir, file), 'utf8');
          const rule = (await loadRulesOrThrow(dir)).promoteRules.find((r) => r.rule.id === 'burst')!.rule;
          expect(rule.params.minCount!.value).toBe(to);
          expect(rule.version).toBe(version + 1);
          // Only the two numbers changed: every other character is where it was.
          const strip = (text: string) => text.replace(/\d+/g, '#');
          expect(strip(after)).toBe(strip(before));
          if (style !== 'json') expect(after).toContain(`# ${comment}`);
          expect(change).toMatchObject({ versionBefore: version, versionAfter: version + 1, beforeText: before, afterText: after });
          await revertChange(change.id, { ...options, reason: 'undo' });
          expect(readFileSync(join(dir, file), 'utf8')).toBe(before);
          expect((await ledger.tuningChange(change.id))?.reverted).toMatchObject({ by: 'eng', reason: 'undo' });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('writes the changelog; refuses to revert twice, after a hand edit, or before a later change is reverted', async () => {
    const dir = writeRules({ 'burst.yaml': ruleText('block', 'x', 20, 1) });
    const options = { rulesDir: dir, ledger, changelog: join(dir, 'CHANGELOG.md'), author: 'eng', reason: 'noise', nowMs: T0 + 10_000 };
    const first = await applyProposal(proposal(20, 30, 1, 'burst.yaml'), options);
    const second = await applyProposal(proposal(30, 40, 2, 'burst.yaml'), { ...options, nowMs: T0 + 20_000 });
    const log = readFileSync(join(dir, 'CHANGELOG.md'), 'utf8');
    expect(log).toMatch(/^# Rule tuning changelog/);
    expect(log).toContain(`${first.id}: burst minCount 20 → 30 (version 1 → 2)`);
    expect(log).toContain(`undo: \`alertgate tune --revert ${second.id}\``);
    await expect(revertChange(first.id, options)).rejects.toThrow(new RegExp(`changed since ${first.id} was applied \\(by ${second.id}: revert it first\\)`));
    await revertChange(second.id, options);
    await expect(revertChange(second.id, options)).rejects.toThrow(/reverted already/);
    writeFileSync(join(dir, 'burst.yaml'), `${readFileSync(join(dir, 'burst.yaml'), 'utf8')}# hand edit\n`);
    await expect(revertChange(first.id, options)).rejects.toThrow(/edited by hand/);
    await expect(revertChange('tc-nope', options)).rejects.toThrow(/no tuning change tc-nope/);
    expect(readFileSync(join(dir, 'CHANGELOG.md'), 'utf8')).toContain(`${second.id} reverted: burst minCount back to 30 (version 2)`);
  });

  it('refuses a stale proposal and a change that would make the rules invalid, leaving the file alone', async () => {
    const dir = writeRules({ 'burst.yaml': ruleText('block', 'x', 20, 3) });
    const options = { rulesDir: dir, ledger, changelog: join(dir, 'CHANGELOG.md'), author: 'eng', reason: 'noise', nowMs: T0 + 30_000 };
    const before = readFileSync(join(dir, 'burst.yaml'), 'utf8');
    await expect(applyProposal(proposal(25, 30, 3, 'burst.yaml'), options)).rejects.toThrow(/changed since the proposal/);
    await expect(applyProposal(proposal(20, 31, 3, 'burst.yaml'), options)).rejects.toThrow(TuningConflict);
    await expect(applyProposal(proposal(20, 31, 3, 'burst.yaml'), options)).rejects.toThrow(/params\/minCount\/value: value 31 is not min \+ a multiple of step 5/);
    expect(readFileSync(join(dir, 'burst.yaml'), 'utf8')).toBe(before);
    expect(existsSync(join(dir, 'CHANGELOG.md'))).toBe(false);
    expect(() => editRuleText(before, 'missing', 'minCount', 30)).toThrow(/rule missing is not in the file/);
  });

  it('apply, revert and their validation write only inside the rules directory: ../, absolute paths, links out, non-rule files are refused (a crafted ledger row overwrote ../../../../<dir>/x)', async () => {
    const dir = writeRules({ 'burst.yaml': ruleText('block', 'x', 20, 1) });
    const outside = tempDir('alertgate-outside-');
    const target = join(outside, 'burst.yaml');
    writeFileSync(target, ruleText('block', 'x', 20, 1));
    symlinkSync(target, join(dir, 'link.yaml'));
    mkdirSync(join(dir, 'sub'));
    symlinkSync(outside, join(dir, 'sub', 'out'));
    const options = { rulesDir: dir, ledger, changelog: join(dir, 'CHANGELOG.md'), author: 'eng', reason: 'noise', nowMs: T0 + 40_000 };
    const escapes: [string, RegExp][] = [
      [`../../../../../..${target}`, /outside the rules directory/],
      [target, /an absolute path/],
      ['link.yaml', /a symbolic link out of the rules directory/],
      ['sub/out/burst.yaml', /a symbolic link out of the rules directory/],
      ['../x.txt', /not a rule file/],
    ];
    for (const [file, why] of escapes) {
      await expect(applyProposal(proposal(20, 30, 1, file), options), file).rejects.toThrow(why);
      await ledger.recordTuningChange({ id: `tc-crafted-${file}`, ruleId: 'burst', file, param: 'minCount', from: 20, to: 30, versionBefore: 1, versionAfter: 2, beforeText: 'pwned: true\n', afterText: readFileSync(target, 'utf8'), author: 'mallory', reason: 'x', evidence: {}, appliedAtMs: T0 });
      await expect(revertChange(`tc-crafted-${file}`, options), file).rejects.toThrow(RuleFileRefused);
    }
    expect(readFileSync(target, 'utf8')).toBe(ruleText('block', 'x', 20, 1));
    expect(readdirSync(outside)).toEqual(['burst.yaml']);
    expect(existsSync(join(dir, 'CHANGELOG.md'))).toBe(false);
    // A file inside, named the long way round, is the same file.
    const change = await applyProposal(proposal(20, 30, 1, 'sub/../burst.yaml'), options);
    expect(readFileSync(join(dir, 'burst.yaml'), 'utf8')).toBe(change.afterText);
  });
});
