import type { CaseDetail } from '../cases/case-record.js';
import { categoryOf } from '../cases/classification.js';
import { localTime } from '../escalation/calendar.js';
import { inBusinessHours } from '../escalation/policy.js';
import { resolveSelector } from '../ruletest/check-expectations.js';
import { parseDuration } from '../state/index.js';
import { DrillReport, type ExpectationResult } from './drill-report.js';
import type { CaseExpectation } from './drill-schema.js';
import type { DrillRun, DrillSetup } from './simulation.js';

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const after = (ms: number) => `${Math.round(ms / MIN)}m`;

/** First notices and escalations a receiver took (delivered), with the level they were for. */
function told(c: CaseDetail) {
  return c.notifications
    .filter((n) => n.status === 'delivered' && n.deliveredAt !== null)
    .map((n) => ({ receiver: n.receiver, kind: n.kind, level: n.escalationLevel, atMs: Date.parse(n.deliveredAt!), afterMs: Date.parse(n.deliveredAt!) - Date.parse(c.openedAt) }))
    .sort((a, b) => a.atMs - b.atMs || (a.receiver < b.receiver ? -1 : 1));
}

/** The drill's outcome: every expectation checked against what the run saw, and the gaps it shows. Pure. */
export function drillReportOf(setup: DrillSetup, run: DrillRun): DrillReport {
  const { drill } = setup;
  const expect = drill.expect;
  const results: ExpectationResult[] = [];
  const pass = (expectation: string, ok: boolean, detail: string) => results.push({ expectation, passed: ok, detail });
  const caseN = (n: number) => run.cases[n - 1];
  const missingCase = (n: number) => `there is no case ${n} (the drill opened ${run.cases.length})`;

  if (expect.cases !== undefined) {
    pass(`${expect.cases.length} case${expect.cases.length === 1 ? '' : 's'} open`, run.cases.length === expect.cases.length, `${run.cases.length} opened`);
    expect.cases.forEach((e, i) => {
      const c = run.cases[i];
      const label = `case ${i + 1}: ${describeCase(e)}`;
      if (!c) return pass(label, false, missingCase(i + 1));
      const wrong = caseMismatch(e, c);
      pass(label, wrong.length === 0, wrong.join('; '));
    });
  }
  for (const e of expect.notified) {
    const label = `${e.receiver} told about case ${e.case}${e.level !== undefined ? ` at level ${e.level}` : ''} within ${e.within}`;
    const c = caseN(e.case);
    if (!c) {
      pass(label, false, missingCase(e.case));
      continue;
    }
    const notices = told(c).filter((t) => t.receiver === e.receiver && (t.kind === 'open' || t.kind === 'escalate' || t.kind === 'update' || t.kind === 'reminder'));
    const atLevel = notices.filter((t) => e.level === undefined || t.level === e.level);
    const first = atLevel[0];
    if (first && first.afterMs <= parseDuration(e.within)) pass(label, true, `after ${after(first.afterMs)}`);
    else if (first) pass(label, false, `told after ${after(first.afterMs)}`);
    else pass(label, false, notices.length > 0 ? `told only at level ${[...new Set(notices.map((t) => t.level))].join(', ')}` : `never told (told: ${summarizeTold(c)})`);
  }
  for (const receiver of expect.notNotified) {
    const all = receiver === 'all';
    const hits = run.cases.flatMap((c) => told(c).filter((t) => all || t.receiver === receiver).map((t) => `${t.receiver} about case ${run.cases.indexOf(c) + 1} (${t.kind})`));
    pass(all ? 'nobody is told' : `${receiver} is never told`, hits.length === 0, hits.slice(0, 5).join(', '));
  }
  for (const e of expect.obligations) {
    const label = `obligation ${e.name} on case ${e.case}${e.startsWithin ? ` starts within ${e.startsWithin}` : ' starts'}${e.runs ? `, runs ${e.runs}` : ''}${e.due ? `, due ${e.due}` : ''}${e.status ? `, ${e.status} at the end` : ''}`;
    const c = caseN(e.case);
    if (!c) {
      pass(label, false, missingCase(e.case));
      continue;
    }
    const o = c.obligations.find((x) => x.name === e.name);
    if (!o) {
      pass(label, false, `not started (started: ${c.obligations.map((x) => x.name).join(', ') || 'none'})`);
      continue;
    }
    const started = Date.parse(o.startedAt) - Date.parse(c.openedAt);
    const runs = Date.parse(o.dueAt) - Date.parse(o.startedAt);
    const wrong = [
      e.startsWithin !== undefined && started > parseDuration(e.startsWithin) ? `started ${after(started)} after the case opened` : '',
      e.runs !== undefined && runs !== parseDuration(e.runs) ? `runs ${after(runs)} (due ${o.dueAt})` : '',
      e.due !== undefined && Date.parse(o.dueAt) !== Date.parse(e.due) ? `due ${o.dueAt}` : '',
      e.status !== undefined && o.status !== e.status ? `${o.status} at the end` : '',
    ].filter((w) => w !== '');
    pass(label, wrong.length === 0, wrong.join('; '));
  }
  if (expect.suppressed) {
    const suppressed = run.decisions.filter((d) => d.decision === 'suppress').length;
    if (expect.suppressed.atLeast !== undefined) pass(`at least ${expect.suppressed.atLeast} alerts suppressed`, suppressed >= expect.suppressed.atLeast, `${suppressed} suppressed`);
    for (const selector of expect.suppressed.alerts) {
      const resolved = resolveSelector(selector, setup.alerts);
      const label = `alert${typeof selector === 'string' && selector.includes('..') ? 's' : ''} ${selector} suppressed`;
      if (!resolved.ok) {
        pass(label, false, resolved.message);
        continue;
      }
      const not = resolved.indices.map((i) => run.decisions[i]).filter((d) => d === undefined || d.decision !== 'suppress');
      pass(label, not.length === 0, not.slice(0, 5).map((d) => (d ? `#${d.n} ${d.decision}${d.ruleId ? ` by ${d.ruleId}` : ''}` : 'not decided')).join(', '));
    }
  }
  for (const a of run.actions) if (!a.ok) pass(`action at ${iso(a.atMs)}`, false, a.detail);

  const count = (k: string) => run.decisions.filter((d) => d.decision === k).length;
  return DrillReport.parse({
    drill: drill.name,
    file: setup.file,
    description: drill.description?.trim() ?? null,
    passed: results.every((r) => r.passed),
    simulated: { from: iso(run.startMs), to: iso(run.endMs), hours: Math.round(((run.endMs - run.startMs) / 3_600_000) * 100) / 100 },
    alerts: { total: run.decisions.length, promoted: count('promote'), suppressed: count('suppress'), passed: count('pass'), invalid: count('invalid') },
    cases: run.cases.map((c, i) => ({
      n: i + 1,
      id: c.id,
      title: c.title,
      severity: c.severity,
      classification: categoryOf(c.classification, c.category),
      policy: c.escalation.policy,
      openedAt: c.openedAt,
      rules: c.rules.map((r) => r.id),
      told: told(c).map((t) => ({ receiver: t.receiver, kind: t.kind, level: t.level, at: iso(t.atMs), afterMinutes: Math.round(t.afterMs / MIN) })),
      obligations: c.obligations.map((o) => ({ name: o.name, startedAt: o.startedAt, dueAt: o.dueAt, status: o.status })),
    })),
    actions: run.actions.map((a) => ({ at: iso(a.atMs), ok: a.ok, detail: a.detail })),
    expectations: results,
    gaps: gapsOf(setup, run),
  });
}

function describeCase(e: CaseExpectation): string {
  return [e.severity, e.classification, e.rules ? `with ${e.rules.join(', ')}` : '', e.policy ? `policy ${e.policy}` : ''].filter((x) => x).join(' ') || 'any';
}

function caseMismatch(e: CaseExpectation, c: CaseDetail): string[] {
  const classification = categoryOf(c.classification, c.category);
  const rules = c.rules.map((r) => r.id);
  return [
    e.severity !== undefined && c.severity !== e.severity ? `severity ${c.severity}` : '',
    e.classification !== undefined && classification !== e.classification ? `classification ${classification}` : '',
    e.rules !== undefined && !e.rules.every((r) => rules.includes(r)) ? `rules ${rules.join(', ')}` : '',
    e.policy !== undefined && c.escalation.policy !== e.policy ? `policy ${c.escalation.policy ?? '(none)'}` : '',
  ].filter((x) => x !== '');
}

function summarizeTold(c: CaseDetail): string {
  const list = told(c).map((t) => `${t.receiver} at level ${t.level} after ${after(t.afterMs)}`);
  return list.length === 0 ? 'nobody' : list.slice(0, 5).join(', ');
}

/**
 * What the response would lack in earnest, read from the run: a case nobody was told about (and why:
 * no policy matches, quiet hours, no escalation file), receivers named but not configured, deadlines
 * that passed during the drill, actions that could not be taken.
 */
function gapsOf(setup: DrillSetup, run: DrillRun): string[] {
  const gaps: string[] = [];
  for (const name of run.unconfigured) {
    gaps.push(`no receiver configured for ${name}: the escalation or obligations file names it, the config's receivers do not (a worker with this config does not start)`);
  }
  const tz = setup.escalation?.spec.timezone ?? 'UTC';
  run.cases.forEach((c, i) => {
    const first = told(c).filter((t) => t.kind === 'open' || t.kind === 'escalate');
    if (first.length > 0) return;
    const opened = Date.parse(c.openedAt);
    const local = localTime(opened, tz);
    const hours = setup.escalation?.spec.businessHours;
    const when =
      local.minutes >= 22 * 60 || local.minutes < 7 * 60 ? 'at night' : hours === undefined ? 'by day' : inBusinessHours(hours, tz, opened) ? 'in business hours' : 'outside business hours';
    const deferred = c.timeline.findLast((e) => e.event === 'deferred');
    const why =
      setup.escalation === undefined
        ? 'the drill has no escalation file'
        : deferred
          ? `held for quiet hours until ${deferred.to} and the drill ended first`
          : c.escalation.policy === null
            ? 'no escalation policy matches it'
            : 'its policy told nobody';
    gaps.push(`no receiver configured for ${c.severity} ${categoryOf(c.classification, c.category)} ${when} (case ${i + 1}, opened ${local.text} ${tz}): nobody was told — ${why}`);
  });
  run.cases.forEach((c, i) => {
    for (const o of c.obligations) if (o.late) gaps.push(`obligation ${o.name} of case ${i + 1} passed its due time (${o.dueAt}) unmet during the drill`);
  });
  return gaps;
}
