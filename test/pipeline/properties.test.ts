import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { at, rule, ruleset, runPipeline } from '../helpers.js';

const NAMES = ['ET SCAN a', 'ET SCAN b', 'sshd: authentication failed'];
const IPS = ['203.0.113.1', '203.0.113.2', '203.0.113.3'];

/** Streams of alerts over a couple of hours, mostly in order with some late arrivals. */
const alertStream = fc
  .array(
    fc.record({
      minute: fc.integer({ min: 0, max: 120 }),
      jitter: fc.integer({ min: -3, max: 0 }),
      name: fc.constantFrom(...NAMES),
      src: fc.constantFrom(...IPS),
      user: fc.constantFrom('root', 'admin', 'alice'),
      severity: fc.constantFrom('low', 'medium', 'high'),
    }),
    { maxLength: 80 },
  )
  .map((items) =>
    items
      .sort((a, b) => a.minute - b.minute)
      .map((it, i) => ({
        id: `a${i}`,
        time: at(it.minute + it.jitter),
        source: 'ids',
        name: it.name,
        severity: it.severity,
        category: 'recon',
        entities: { src_ip: it.src, user: it.user },
      })),
  );

function rulesWithThresholds(minCount: number, minUsers: number) {
  return {
    'burst.yaml': rule({
      id: 'burst',
      params: { minCount: { value: minCount, min: 1, max: 50 } },
      match: { all: [{ fact: 'name', operator: 'in', value: NAMES.slice(0, 2) }] },
      window: { groupBy: ['entities.src_ip'], size: '10m', allowedLateness: '2m' },
      aggregates: { hits: { kind: 'count' } },
      conditions: { all: [{ fact: 'hits', operator: 'greaterThanInclusive', value: { fact: 'params', path: '$.minCount' } }] },
    }),
    'spray.yaml': rule({
      id: 'spray',
      priority: 2,
      params: { minUsers: { value: minUsers, min: 1, max: 50 } },
      match: { all: [{ fact: 'name', operator: 'equal', value: NAMES[2] }] },
      window: { groupBy: ['entities.src_ip'], size: '15m' },
      aggregates: { users: { kind: 'distinct', field: 'entities.user' } },
      conditions: { all: [{ fact: 'users', operator: 'greaterThanInclusive', value: { fact: 'params', path: '$.minUsers' } }] },
    }),
    'critical.yaml': rule({ id: 'high-severity', conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] } }),
  };
}

const promotedIds = (out: ReturnType<typeof runPipeline>) => new Set(out.decisions.filter((d) => d.decision === 'promote').map((d) => d.alertId));

describe('pipeline invariants', () => {
  it('raising a >= threshold never promotes an alert that was not promoted before', async () => {
    await fc.assert(
      fc.asyncProperty(
        alertStream,
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 2 }),
        async (alerts, minCount, raiseCount, minUsers, raiseUsers) => {
          const low = runPipeline(await ruleset(rulesWithThresholds(minCount, minUsers)), alerts);
          const high = runPipeline(await ruleset(rulesWithThresholds(minCount + raiseCount, minUsers + raiseUsers)), alerts);
          const before = promotedIds(low);
          for (const id of promotedIds(high)) expect(before.has(id)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('is deterministic: the same rules and input give identical outputs', async () => {
    const set = rulesWithThresholds(3, 2);
    await fc.assert(
      fc.asyncProperty(alertStream, async (alerts) => {
        const first = runPipeline(await ruleset(set), alerts);
        const second = runPipeline(await ruleset(set), alerts);
        expect(JSON.stringify([second.decisions, second.incidents])).toBe(JSON.stringify([first.decisions, first.incidents]));
      }),
      { numRuns: 40 },
    );
  });

  it('loses nothing: random text and JSON never crash, and every line is a decision or a dead letter', async () => {
    const set = await ruleset(rulesWithThresholds(2, 2));
    const garbage = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.object().map((v) => JSON.stringify(v)),
      fc.record({ time: fc.oneof(fc.string(), fc.integer(), fc.double()), name: fc.string(), source: fc.string(), severity: fc.jsonValue() }).map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(alertStream, fc.array(garbage, { maxLength: 30 }), fc.integer(), async (alerts, junk, seed) => {
        const lines: unknown[] = [...alerts];
        junk.forEach((j, i) => lines.splice(Math.abs(seed + i * 7919) % (lines.length + 1), 0, j.replaceAll('\n', ' ')));
        const out = runPipeline(set, lines);
        const c = out.counts;
        expect(c.alerts).toBe(lines.length);
        expect(c.promoted + c.suppressed + c.passed + c.invalid).toBe(c.alerts);
        expect(out.decisions.length + out.deadLetters.length).toBe(lines.length);
        const incidentAlerts = out.incidents.reduce((n, i) => n + i.alertCount, 0);
        expect(incidentAlerts).toBe(c.promoted);
      }),
      { numRuns: 60 },
    );
  });

  it('loses nothing in multi-alert records: each element of an Alertmanager payload is a decision or a dead letter', async () => {
    const set = await ruleset(rulesWithThresholds(2, 2));
    const element = fc.oneof(
      fc.record({
        status: fc.constantFrom('firing', 'resolved'),
        labels: fc.record({ alertname: fc.constantFrom(...NAMES), severity: fc.constantFrom('critical', 'warning', 'page') }, { requiredKeys: [] }),
        startsAt: fc.oneof(fc.integer({ min: 0, max: 120 }).map(at), fc.constant('yesterday')),
        endsAt: fc.oneof(fc.integer({ min: 0, max: 120 }).map(at), fc.constant('0001-01-01T00:00:00Z')),
        fingerprint: fc.option(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 2, maxLength: 2 }), { nil: undefined }),
      }),
      fc.jsonValue(),
    );
    const payload = fc.array(element, { maxLength: 6 }).map((alerts) => ({ receiver: 'soc', groupKey: '{}:{}', status: 'firing', version: '4', alerts }));
    await fc.assert(
      fc.asyncProperty(alertStream, fc.array(payload, { maxLength: 8 }), async (alerts, payloads) => {
        const lines: unknown[] = [...alerts, ...payloads];
        const out = runPipeline(set, lines, 'auto');
        const c = out.counts;
        // An empty payload is one dead letter; any other record is one alert per element.
        const expected = alerts.length + payloads.reduce((n, p) => n + Math.max(1, p.alerts.length), 0);
        expect(c.alerts).toBe(expected);
        expect(c.promoted + c.suppressed + c.passed + c.invalid).toBe(c.alerts);
        expect(out.decisions.length + out.deadLetters.length).toBe(c.alerts);
        expect(new Set(out.decisions.map((d) => d.alertId)).size).toBe(out.decisions.length - duplicateIds(payloads));
      }),
      { numRuns: 60 },
    );
  });
});

/** Elements of the generated payloads that repeat an earlier element's fingerprint, status and start (the same alert sent again). */
function duplicateIds(payloads: readonly { alerts: unknown[] }[]): number {
  const seen = new Set<string>();
  let duplicates = 0;
  for (const p of payloads) {
    for (const a of p.alerts) {
      if (a === null || typeof a !== 'object' || Array.isArray(a)) continue;
      const { fingerprint, status, startsAt, labels } = a as Record<string, unknown>;
      if (typeof fingerprint !== 'string' || startsAt === 'yesterday' || !(labels as { alertname?: string }).alertname) continue;
      const key = `${fingerprint}|${status}|${startsAt}`;
      if (seen.has(key)) duplicates++;
      seen.add(key);
    }
  }
  return duplicates;
}
