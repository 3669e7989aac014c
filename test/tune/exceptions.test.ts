import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { EntityRef, Verdict } from '../../src/feedback/feedback.js';
import type { TuningIncident } from '../../src/ledger/records.js';
import { Exception } from '../../src/rules/schema.js';
import { proposeExceptions } from '../../src/tune/exceptions.js';
import { formatReport, nothingToTune } from '../../src/tune/format.js';
import { tune, type TuneInput } from '../../src/tune/tuner.js';
import { incidentRecord } from '../ledger/fixtures.js';
import { rule, ruleset } from '../helpers.js';
import { BURST_RULES } from './fixtures.js';

const OPTIONS = { minIncidents: 3, expiresAtMs: Date.UTC(2026, 11, 31), owner: 'soc' };
/** An id as the Exception schema takes it, and ending in a letter or digit. */
const TIDY_ID = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;


/** An incident of rule burst on `host`, opened by an alert named `name`, with a verdict that may name an entity. */
function incident(n: number, host: string, name: string, verdict: Verdict | null, entity?: EntityRef): TuningIncident {
  return {
    record: incidentRecord({ n, ruleId: 'burst', groupKey: { 'entities.host': host } }),
    verdict,
    entity,
    openingAlert: { name, source: 'suricata', severity: 'low', entities: { host } },
  };
}

/** Three false positives sharing a signature (on three hosts), and a true positive under another. */
const falsePositivesOf = (name: string, first = 0) => [
  incident(first + 1, `fp-a-${first}`, name, 'false_positive'),
  incident(first + 2, `fp-b-${first}`, name, 'false_positive'),
  incident(first + 3, `fp-c-${first}`, name, 'false_positive'),
];

describe('exception proposals', () => {
  it('generated exception ids end in a letter or digit, never in a dot or dash (they ended in a dot), and each proposal is a valid exception', async () => {
    const set = await ruleset(BURST_RULES);
    const ids = (name: string) => proposeExceptions([...falsePositivesOf(name), incident(9, 'tp-1', 'other', 'true_positive')], set, OPTIONS).proposals;
    expect(ids('ET POLICY Outbound connection to port 3306.').map((p) => p.id)).toEqual(['tune-et-policy-outbound-connection-to-port-3306']);
    // Cut at 60 characters right after a dot.
    expect(ids(`${'a'.repeat(59)}.bcd`)[0]!.id).toBe(`tune-${'a'.repeat(59)}`);
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 90, unit: fc.constantFrom('a', 'Z', '7', '.', '-', '_', ' ', '/', 'é') }), (name) => {
        for (const proposal of ids(name)) {
          expect(proposal.id).toMatch(TIDY_ID);
          expect(Exception.parse(parse(proposal.yaml)).id).toBe(proposal.id);
        }
      }),
    );
  });

  it('an id taken by a rule or exception gets the next free suffix', async () => {
    const set = await ruleset({ ...BURST_RULES, 'taken.yaml': rule({ id: 'tune-backup' }) });
    expect(proposeExceptions(falsePositivesOf('Backup.'), set, OPTIONS).proposals.map((p) => p.id)).toEqual(['tune-backup-2']);
  });
});

describe('alertgate tune text output', () => {
  async function report(incidents: readonly TuningIncident[], minVerdicts = 100) {
    const input: TuneInput = {
      ruleset: await ruleset(BURST_RULES),
      incidents,
      guardrails: { minRecall: 1, maxStep: '50%', minVerdicts },
      period: { fromMs: Date.UTC(2026, 10, 1), toMs: Date.UTC(2026, 10, 30) },
      exceptions: OPTIONS,
    };
    return tune(input);
  }

  it('separates the proposed exceptions with --- so the block is one valid rules file (several YAML documents ran together)', async () => {
    const tuned = await report([...falsePositivesOf('Backup upload'), ...falsePositivesOf('Health check', 10), incident(20, 'tp-1', 'Real thing', 'true_positive')]);
    expect(tuned.exceptions).toHaveLength(2);
    const text = formatReport(tuned, 'text');
    const block = text
      .slice(text.indexOf('proposed exceptions'))
      .split('\n')
      .slice(1)
      .filter((l) => l.startsWith('  '))
      .map((l) => l.slice(2))
      .join('\n');
    const documents = parseAllDocuments(block);
    expect(documents.map((d) => d.errors)).toEqual([[], []]);
    expect(documents.map((d) => Exception.parse(d.toJS()).id)).toEqual(tuned.exceptions.map((e) => e.id));
    const md = formatReport(tuned, 'md');
    const fenced = /```yaml\n([\s\S]*?)\n```/.exec(md)![1]!;
    expect(parseAllDocuments(fenced).map((d) => Exception.parse(d.toJS()).id)).toEqual(tuned.exceptions.map((e) => e.id));
  });

  it('says there is nothing to tune, and why, where it printed an empty table: no incidents, no verdicts, too few verdicts per rule', async () => {
    const empty = await report([]);
    expect(nothingToTune(empty)).toMatch(/^nothing to tune: no incidents of a promote rule first seen from 2026-11-01T00:00:00\.000Z to 2026-11-30T00:00:00\.000Z \(--since widens the period\)$/);
    expect(formatReport(empty, 'text')).not.toMatch(/^rules:/m);
    expect(nothingToTune({ ...empty, period: { from: null, to: null, days: 1 } })).toMatch(/^nothing to tune: the ledger has no incidents/);

    const unreviewed = await report([incident(1, 'h1', 'x', null), incident(2, 'h2', 'x', null)]);
    expect(nothingToTune(unreviewed)).toMatch(/^nothing to tune: 2 incidents in the period, none with a verdict \(give verdicts: alertgate feedback/);

    const few = await report([incident(1, 'h1', 'x', 'false_positive'), incident(2, 'h2', 'x', 'true_positive'), incident(3, 'h3', 'x', null)], 5);
    expect(nothingToTune(few)).toBe('nothing to tune: too few verdicts per rule; a rule needs 5 (--min-verdicts, tuning.minVerdicts) and the most any has is 2 (burst): burst 2');
    expect(formatReport(few, 'text').split('\n')[2]).toBe(nothingToTune(few));

    // With the evidence there, the notes say why each param stays: no "nothing to tune".
    const enough = await report([incident(1, 'h1', 'x', 'false_positive'), incident(2, 'h2', 'x', 'true_positive')], 2);
    expect(nothingToTune(enough)).toBeUndefined();
  });
});
