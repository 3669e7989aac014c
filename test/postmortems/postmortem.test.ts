import { expect, it } from 'vitest';
import { caseIdOf } from '../../src/cases/case-id.js';
import { markPostmortemDone, postmortemOf } from '../../src/http/postmortem-routes.js';
import { takeAction } from '../../src/http/case-routes.js';
import { describeLedger } from '../ledger/backends.js';
import { incidentRecord } from '../ledger/fixtures.js';
import { buildReport } from '../../src/report/build.js';
import { renderReport } from '../../src/report/render.js';
import { markdownTables, renderedText } from '../report/tables.js';

const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);
const MIN = 60_000;
const HOSTILE = '<script>alert(1)</script> [click](https://evil.example) | **x**';
const who = (name: string) => ({ actor: `cli:${name}`, analyst: name, source: 'cli' });

describeLedger('postmortems', (fresh) => {
  async function resolvedCase(severity: 'high' | 'medium') {
    const clock = { now: T0 };
    const ledger = await fresh({ now: () => clock.now });
    const first = incidentRecord({ n: 1, severity, title: `Exfiltration ${HOSTILE}`, alertIds: ['a-1', 'a-2'], alertCount: 2, firstSeen: '2026-11-20T09:58:00.000Z' });
    const caseId = caseIdOf(first.id);
    await ledger.writeBatch({
      incidents: [{ ...first, caseId }],
      openings: [{ incidentId: first.id, alertId: 'a-1', decisionJson: JSON.stringify({ explanation: { by: 'rule', rule: { id: 'r1', version: 1, priority: 1, file: 'r1.yaml' } } }), alert: { name: `Upload ${HOSTILE}`, source: 'zscaler', severity: 'high', entities: { host: 'hr-db-01' } } }],
      counts: [],
      source: 's',
    });
    clock.now += 5 * MIN;
    await takeAction(ledger, caseId, 'acknowledge', { note: `on it ${HOSTILE}` }, who('ana'), {});
    clock.now += 30 * MIN;
    await takeAction(ledger, caseId, 'resolve', { note: 'host rebuilt' }, who('ana'), {});
    return { ledger, clock, caseId, first };
  }

  it('a high case can be resolved but not closed until its postmortem is done; then it closes', async () => {
    const { ledger, caseId } = await resolvedCase('high');
    await expect(takeAction(ledger, caseId, 'close', {}, who('ana'), {})).rejects.toThrow(
      `cannot close a high case before its postmortem is done: write it (alertgate postmortem ${caseId}) and mark it done (alertgate postmortem ${caseId} --done); docs/postmortems.md`,
    );
    const done = await markPostmortemDone(ledger, caseId, { actor: 'cli:ana', note: 'wiki/PM-12' }, {});
    expect(done).toMatchObject({ case: { id: caseId, state: 'resolved' }, event: { event: 'postmortem-done', actor: 'cli:ana', note: 'wiki/PM-12' } });
    await expect(markPostmortemDone(ledger, caseId, { actor: 'cli:bob', note: undefined }, {})).rejects.toThrow(/marked done already .* by cli:ana/);
    expect((await takeAction(ledger, caseId, 'close', {}, who('ana'), {})).case.state).toBe('closed');
    expect((await ledger.cases.get(caseId))!.postmortem).toEqual({ doneAt: new Date(T0 + 35 * MIN).toISOString(), doneBy: 'cli:ana' });
  });

  it('the report (HTML too) lists the open postmortem until it is done', async () => {
    const { ledger, caseId } = await resolvedCase('high');
    const period = { fromMs: T0 - 86_400_000, toMs: T0 + 86_400_000, minutesPerIncident: 15, top: 5 };
    const before = await buildReport(ledger, period);
    expect(before.openPostmortems).toEqual({ total: 1, cases: [{ caseId, firstSeen: '2026-11-20T09:58:00.000Z', title: `Exfiltration ${HOSTILE}`, severity: 'high', state: 'resolved' }] });
    const html = renderReport(before, 'html');
    expect(html).toContain('Open postmortems (cases that need one, not done yet; docs/postmortems.md)');
    expect(html).toContain(caseId);
    expect(html).not.toContain('<script>alert(1)');
    // Required for medium only: the high case is not listed.
    expect((await buildReport(ledger, { ...period, postmortemRequiredFor: ['medium'] })).openPostmortems.total).toBe(0);
    await markPostmortemDone(ledger, caseId, { actor: 'cli:ana', note: undefined }, {});
    expect((await buildReport(ledger, period)).openPostmortems).toEqual({ total: 0, cases: [] });
  });

  it('the policy is configurable: a medium case closes without one by default; with requiredFor [medium] it does not', async () => {
    const { ledger, caseId } = await resolvedCase('medium');
    await expect(takeAction(ledger, caseId, 'close', {}, who('ana'), { postmortemRequiredFor: ['medium'] })).rejects.toThrow(/before its postmortem is done/);
    expect((await takeAction(ledger, caseId, 'close', {}, who('ana'), {})).case.state).toBe('closed');
  });

  it('the draft: timeline from the first alert through promotion, every change, notification and deadline; rules and alerts; notes; blank sections; alert text escaped', async () => {
    const { ledger, caseId, first } = await resolvedCase('high');
    const draft = await postmortemOf(ledger, caseId);
    expect(draft.split('\n').filter((l) => l.startsWith('## '))).toEqual(['## Summary', '## Timeline', '## Rules and alerts involved', '## Notification deadlines', '## Analyst notes', '## Root cause', '## What went well', '## What went wrong', '## Follow-ups']);
    const [timeline, rules] = markdownTables(draft);
    expect(timeline!.rows.map((r) => renderedText(r[1]!))).toEqual([
      `first alert a-1: Upload ${HOSTILE} (zscaler, high); promoted by rule r1 v1: incident ${first.id} opened (high)`,
      `opened - → open by alertgate: r1: Exfiltration ${HOSTILE}`,
      `acknowledged open → acknowledged by cli:ana: on it ${HOSTILE}`,
      'resolved acknowledged → resolved by cli:ana: host rebuilt',
    ]);
    expect(timeline!.rows.map((r) => r[0])).toEqual(['2026-11-20T09:58:00Z', '2026-11-20T10:00:00Z', '2026-11-20T10:05:00Z', '2026-11-20T10:35:00Z']);
    expect(rules!.rows.map((r) => [r[0], r[2]])).toEqual([['r1 v1', '2']]);
    // The pipe in alert text does not split a row; its brackets, stars and tags are text.
    for (const row of timeline!.rows) expect(row).toHaveLength(2);
    expect(draft).not.toMatch(/<script>|\]\(https|\*\*x/);
    expect(draft).toContain('## Analyst notes\n\n- 2026-11-20T10:05:00.000Z cli:ana (acknowledged): on it &lt;script&gt;');
  });
});
