import { describe, expect, it } from 'vitest';
import { firstMomentWhenNot, inDailyWindow, localTime } from '../../src/escalation/calendar.js';
import { explainEscalation, formatExplanation } from '../../src/escalation/explain.js';
import { loadEscalation } from '../../src/escalation/load.js';
import { matchPolicy } from '../../src/escalation/policy.js';
import { formatProblem } from '../../src/rules/problems.js';
import { ESCALATION_YAML, loadTestEscalation, writeEscalation } from './fixtures.js';

const MIN = 60_000;
/** Friday 2026-11-20 10:00 UTC = 11:00 in Berlin. */
const FRIDAY_11 = Date.parse('2026-11-20T10:00:00Z');

const facts = (severity: string, category: string, extra: { rules?: string[]; tags?: string[] } = {}) => ({ severity, category, rules: extra.rules ?? [], tags: extra.tags ?? [] });

describe('escalation file', () => {
  it('explains who is told and when if nobody acknowledges: levels, on-call rotations, reminders', async () => {
    const escalation = await loadTestEscalation();
    const explained = explainEscalation(escalation, facts('critical', 'malware'), FRIDAY_11);
    expect(explained.policy).toBe('critical-security');
    expect(explained.steps.map((s) => [(s.atMs - FRIDAY_11) / MIN, s.event, s.number, s.receivers.join(','), s.oncall])).toEqual([
      [0, 'escalated', 1, 'soc-slack,pager-primary', 'alice'],
      [15, 'escalated', 2, 'pager-secondary', 'dave'],
      [45, 'escalated', 3, 'ciso-email', 'dave'],
      [75, 'reminded', 1, 'ciso-email', 'dave'],
      [105, 'reminded', 2, 'ciso-email', 'dave'],
    ]);
    const text = formatExplanation(escalation, explained);
    expect(text).toContain('critical malware opened at 2026-11-20T10:00:00Z (Fri 11:00 Europe/Berlin), within business hours');
    expect(text).toContain('+15m    2026-11-20T10:15:00Z (Fri 11:15 Europe/Berlin)  level 2     pager-secondary  on call: dave');
    expect(text).toMatch(/until someone acknowledges the case/);
  });

  it('rotations: weekly turns before and after the start; a schedule, its fallback outside every shift', async () => {
    const escalation = await loadTestEscalation();
    const primary = escalation.rotations.get('primary')!;
    const start = Date.parse('2026-11-16T08:00:00Z');
    expect([-1, 0, 1, 2, 3].map((w) => primary.at(start + w * 7 * 86_400_000 + 1))).toEqual(['carol', 'alice', 'bob', 'carol', 'alice']);
    const secondary = escalation.rotations.get('secondary')!;
    expect([secondary.at(Date.parse('2026-11-20T23:59:59Z')), secondary.at(Date.parse('2026-11-21T00:00:00Z')), secondary.at(Date.parse('2026-11-25T00:00:00Z'))]).toEqual(['dave', 'erin', 'duty-manager']);
  });

  it('matches the first policy whose fields all hold; business hours in the file\'s time zone', async () => {
    const escalation = await loadTestEscalation();
    expect(matchPolicy(escalation, facts('critical', 'data-breach'), FRIDAY_11)?.name).toBe('critical-security');
    expect(matchPolicy(escalation, facts('critical', 'recon'), FRIDAY_11)?.name).toBe('default');
    expect(matchPolicy(escalation, facts('high', 'recon'), FRIDAY_11)?.name).toBe('office-hours');
    // 17:30 UTC is 18:30 in Berlin: after hours.
    expect(matchPolicy(escalation, facts('high', 'recon'), Date.parse('2026-11-20T17:30:00Z'))?.name).toBe('default');
    expect(matchPolicy(escalation, facts('high', 'recon'), Date.parse('2026-11-21T10:00:00Z'))?.name).toBe('default');
  });

  it('holds a low-severity case during quiet hours and starts its escalation when they end', async () => {
    const escalation = await loadTestEscalation();
    // 23:30 in Berlin.
    const night = Date.parse('2026-11-20T22:30:00Z');
    const explained = explainEscalation(escalation, facts('low', 'recon'), night);
    expect(explained.steps.map((s) => [new Date(s.atMs).toISOString(), s.event, s.receivers.join(',')])).toEqual([
      ['2026-11-20T22:30:00.000Z', 'deferred', ''],
      ['2026-11-21T06:00:00.000Z', 'escalated', 'soc-slack'],
    ]);
    // A critical case at the same time is told at once.
    expect(explainEscalation(escalation, facts('critical', 'malware'), night).steps[0]!.atMs).toBe(night);
  });

  it('quiet hours end at 07:00 local time across a DST change (Berlin, 2026-03-29)', () => {
    const quiet = (t: { minutes: number }) => inDailyWindow(t.minutes, '22:00', '07:00');
    // 23:00 CET on the night clocks go forward: 07:00 is CEST, 05:00 UTC.
    expect(new Date(firstMomentWhenNot(Date.parse('2026-03-28T22:00:00Z'), 'Europe/Berlin', quiet)!).toISOString()).toBe('2026-03-29T05:00:00.000Z');
    expect(new Date(firstMomentWhenNot(Date.parse('2026-10-24T22:00:00Z'), 'Europe/Berlin', quiet)!).toISOString()).toBe('2026-10-25T06:00:00.000Z');
    expect(localTime(Date.parse('2026-03-29T01:30:00Z'), 'Europe/Berlin').text).toBe('Sun 03:30');
  });

  it('says when no policy matches: nobody is told', async () => {
    const escalation = await loadTestEscalation(ESCALATION_YAML.replace(/  - name: default\n    levels:\n      - notify: \[soc-slack\]\n/, ''));
    const explained = explainEscalation(escalation, facts('medium', 'phishing'), FRIDAY_11);
    expect(explained.policy).toBeUndefined();
    expect(formatExplanation(escalation, explained)).toContain('no policy matches: nobody is told');
  });

  it('locates every problem like a rule file: file, JSON pointer, message, line', async () => {
    const file = writeEscalation(
      `timezone: Mars/Olympus
rotations:
  primary: { handles: [alice], start: 2026-11-16T09:00:00Z }
policies:
  - name: p
    match: { severity: [urgent] }
    levels:
      - after: 5m
        notify: [slack]
        oncall: nobody
      - notify: [pager]
  - name: p
    match: { businessHours: true }
    levels:
      - notify: [slack]
        colour: red
`,
      `- { from: 2026-11-20T00:00:00Z, to: 2026-11-19T00:00:00Z, handle: dave }\n`,
    );
    const loaded = await loadEscalation(file);
    expect(loaded.ok).toBe(false);
    const lines = loaded.ok ? [] : loaded.problems.map(formatProblem).map((l) => l.replace(file, 'F'));
    expect(lines).toEqual([
      'F: /policies/0/match/severity/0: expected one of "low"|"medium"|"high"|"critical" (line 6)',
      'F: /policies/1/levels/0/colour: Unrecognized key: "colour" (line 16)',
    ]);
    // Once the shapes are right, the cross-checks speak.
    const file2 = writeEscalation(
      `timezone: Mars/Olympus
rotations:
  secondary: { schedule: secondary.yaml }
policies:
  - name: p
    levels:
      - after: 5m
        notify: [slack]
        oncall: nobody
      - notify: [pager]
  - name: p
    match: { businessHours: true }
    levels:
      - notify: [slack]
`,
      `- { from: 2026-11-20T00:00:00Z, to: 2026-11-19T00:00:00Z, handle: dave }\n- just text\n`,
    );
    const loaded2 = await loadEscalation(file2);
    const lines2 = loaded2.ok ? [] : loaded2.problems.map(formatProblem).map((l) => l.replace(file2, 'F').replace(file2.replace('escalation.yaml', 'secondary.yaml'), 'S'));
    expect(lines2).toEqual([
      'F: /timezone: unknown time zone "Mars/Olympus": use an IANA name such as UTC, Europe/Berlin or America/New_York (line 1)',
      'F: /policies/0/levels/0/after: the first level is told at once: remove after (line 7)',
      'F: /policies/0/levels/0/oncall: no rotation named "nobody" (rotations: secondary) (line 9)',
      'F: /policies/0/levels/1: missing after: how long after level 1 nobody acknowledged this level is told (e.g. 15m) (line 10)',
      'F: /policies/1/name: duplicate policy name "p" (line 11)',
      'F: /policies/1/match/businessHours: matches on business hours, but the file defines no businessHours (line 12)',
      'S: /0/to: a shift ends after it starts (line 1)',
      'S: /1: expected object, received string (line 2)',
    ]);
  });
});
