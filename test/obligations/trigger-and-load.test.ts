import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadObligations } from '../../src/obligations/load.js';
import { firstHeld, type TimelineEvent } from '../../src/obligations/trigger.js';
import { formatProblem } from '../../src/rules/problems.js';
import { tempDir } from '../helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const T0 = Date.parse('2026-11-20T10:00:00Z');
let seq = 0;
const at = (minutes: number, event: string, from: string | null, to: string | null): TimelineEvent => ({ seq: ++seq, atMs: T0 + minutes * 60_000, event, from, to });
const moment = (held: { atMs: number } | undefined) => held?.atMs;

describe('what starts a clock', () => {
  it('a reclassification: the clock starts when the case was classified data-breach, not at its first classification', () => {
    const timeline = [at(0, 'opened', null, 'open'), at(5, 'classified', null, 'malware'), at(40, 'classified', 'malware', 'data-breach')];
    expect(moment(firstHeld({ classification: ['data-breach'] }, T0, 'high', timeline))).toBe(T0 + 40 * 60_000);
    expect(moment(firstHeld({ classification: ['phishing'] }, T0, 'high', timeline))).toBeUndefined();
    // The event that made it hold: the clock starts nothing for a trigger that held at events it read before.
    expect(firstHeld({ classification: ['data-breach'] }, T0, 'high', timeline)?.seq).toBe(timeline[2]!.seq);
  });

  it('every condition must hold: the later of the classification and the flag starts it', () => {
    const timeline = [at(0, 'opened', null, 'open'), at(10, 'flagged', null, 'personal-data'), at(30, 'classified', null, 'data-breach')];
    expect(moment(firstHeld({ classification: ['data-breach'], flag: ['personal-data'] }, T0, 'low', timeline))).toBe(T0 + 30 * 60_000);
  });

  it('a severity rise starts a severity trigger when it happened; a case opened at that severity starts it at its opening', () => {
    const grew = [at(0, 'opened', null, 'open'), at(25, 'grew', '1 incidents, medium', '2 incidents, critical')];
    expect(moment(firstHeld({ severity: 'high' }, T0, 'critical', grew))).toBe(T0 + 25 * 60_000);
    expect(moment(firstHeld({ severity: 'high' }, T0, 'high', [at(0, 'opened', null, 'open')]))).toBe(T0);
  });

  it('a flag removed and set again counts from the first time it was set', () => {
    const timeline = [at(0, 'opened', null, 'open'), at(3, 'flagged', null, 'material'), at(4, 'unflagged', 'material', null), at(9, 'flagged', null, 'material')];
    expect(moment(firstHeld({ flag: ['material'] }, T0, 'high', timeline))).toBe(T0 + 3 * 60_000);
  });
});

describe('the obligations file', () => {
  it('the starter set in the repository is valid', async () => {
    const loaded = await loadObligations(join(ROOT, 'obligations.yaml'));
    expect(loaded.ok ? loaded.policy.spec.obligations.map((o) => o.name) : loaded.problems.map(formatProblem)).toEqual([
      'gdpr-art33-supervisory-authority',
      'nis2-early-warning',
      'nis2-incident-notification',
      'nis2-final-report',
      'sec-8k-item-1-05',
      'hipaa-breach-notification',
      'dora-initial-after-classification',
      'dora-initial-after-awareness',
      'customer-sla-example',
    ]);
  });

  it('names every problem by file, JSON pointer and line', async () => {
    const file = join(tempDir('alertgate-obligations-'), 'obligations.yaml');
    writeFileSync(
      file,
      `timezone: Mars/Olympus
obligations:
  - name: a
    title: A
    when: { flag: [Personal Data] }
    within: { hours: 72, days: 3 }
    notify: [dpo]
  - name: b
    title: B
    when: {}
    within: { businessDays: 4 }
    notify: []
`,
    );
    const loaded = await loadObligations(file);
    expect(loaded.ok ? [] : loaded.problems.map(formatProblem)).toEqual([
      `${file}: /obligations/0/when/flag/0: a flag: lowercase letters, digits and "-" (line 5)`,
      `${file}: /obligations/0/within: give exactly one of hours, days, months or businessDays (got hours, days) (line 6)`,
      `${file}: /obligations/1/when: a trigger needs classification, severity or flag: what starts the clock (line 10)`,
      `${file}: /obligations/1/within/calendar: business days need a calendar: its time zone, weekend and holidays (line 11)`,
      `${file}: /obligations/1/notify: expected array to have >=1 items (line 12)`,
    ]);
  });

  it('refuses an unknown time zone or calendar and a reminder longer than the deadline', async () => {
    const file = join(tempDir('alertgate-obligations-'), 'obligations.yaml');
    writeFileSync(
      file,
      `obligations:
  - name: a
    title: A
    when: { severity: high }
    within: { businessDays: 2, calendar: us }
    notify: [dpo]
  - name: b
    title: B
    when: { severity: high }
    within: { hours: 4 }
    notify: [dpo]
    remind: [1h, 4h]
`,
    );
    const loaded = await loadObligations(file);
    expect(loaded.ok ? [] : loaded.problems.map(formatProblem)).toEqual([
      `${file}: /obligations/0/within/calendar: no calendar named "us" (the file has no calendars) (line 5)`,
      `${file}: /obligations/1/remind/1: a reminder 4h before the deadline would come before the clock starts (b runs 4 h) (line 12)`,
    ]);
    writeFileSync(file, 'timezone: Mars/Olympus\nobligations: [{ name: a, title: A, when: { severity: high }, within: { hours: 4 }, notify: [dpo] }]\n');
    const zone = await loadObligations(file);
    expect(zone.ok ? [] : zone.problems.map(formatProblem)).toEqual([`${file}: /timezone: unknown time zone "Mars/Olympus": use an IANA name such as UTC, Europe/Berlin or America/New_York (line 1)`]);
  });
});
