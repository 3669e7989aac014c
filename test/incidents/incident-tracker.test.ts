import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IncidentRecord, IncidentTracker, incidentId, type IncidentGrouping } from '../../src/incidents/index.js';
import { T0, alertAt, grouping } from './fixtures.js';

const HOST = { 'entities.host': 'web-1' };

/** Records alert `id` for group `group` at T0 + `offsetMs`. */
function recorder(tracker: IncidentTracker, spec: IncidentGrouping = grouping()) {
  return (id: string, offsetMs: number, group = 'web-1') =>
    tracker.record(spec, group, { 'entities.host': group }, alertAt(id, { host: group }), T0 + offsetMs);
}

describe('IncidentTracker: joining and opening', () => {
  it('opens on the first alert and joins the next one within the window', () => {
    const tracker = new IncidentTracker();
    const record = recorder(tracker);
    const first = record('a1', 0);
    expect(first.opened).toBe(true);
    const second = record('a2', 400);
    expect(second).toMatchObject({ opened: false, incidentId: first.incidentId });
    expect(second.incident).toMatchObject({
      id: incidentId('beacon', 'web-1', T0),
      ruleId: 'beacon',
      ruleVersion: 3,
      title: 'Beacon from web-1',
      severity: 'high',
      category: 'malware',
      groupKey: HOST,
      firstSeen: new Date(T0).toISOString(),
      lastSeen: new Date(T0 + 400).toISOString(),
      alertCount: 2,
      alertIds: ['a1', 'a2'],
      alertIdsTruncated: false,
      status: 'open',
    });
    expect(() => IncidentRecord.parse(second.incident)).not.toThrow();
  });

  it('joins at exactly windowMs of inactivity and opens a new incident one ms later', () => {
    const tracker = new IncidentTracker();
    const record = recorder(tracker);
    const first = record('a1', 0);
    expect(record('a2', 1_000).opened).toBe(false);
    const third = record('a3', 2_001);
    expect(third.opened).toBe(true);
    expect(third.incidentId).not.toBe(first.incidentId);
    // The replaced incident comes out of the next advance, whatever its watermark.
    expect(tracker.advance(0)).toEqual([expect.objectContaining({ id: first.incidentId, alertCount: 2, status: 'closed' })]);
  });

  it('stops joining once the incident would span more than maxSpanMs', () => {
    const tracker = new IncidentTracker();
    const record = recorder(tracker, grouping({ windowMs: 100, maxSpanMs: 250 }));
    const first = record('a1', 0);
    record('a2', 100);
    record('a3', 200);
    expect(record('a4', 250).opened).toBe(false); // span 250: still in
    expect(record('a5', 300).opened).toBe(true);
    expect(tracker.advance(0)).toEqual([expect.objectContaining({ id: first.incidentId, alertCount: 4 })]);
  });

  it('keeps rules and groups apart', () => {
    const tracker = new IncidentTracker();
    const beacon = recorder(tracker);
    const scan = recorder(tracker, grouping({ ruleId: 'scan' }));
    const ids = [beacon('a1', 0).incidentId, beacon('a2', 1, 'web-2').incidentId, scan('a3', 2).incidentId];
    expect(new Set(ids).size).toBe(3);
    expect(beacon('a4', 3).incidentId).toBe(ids[0]);
    expect(tracker.stats()).toMatchObject({ open: 3, opened: 3, recorded: 4 });
  });

  it('lists the first maxAlertIds ids and flags the rest', () => {
    const tracker = new IncidentTracker({ maxAlertIds: 3 });
    const record = recorder(tracker);
    for (let i = 0; i < 5; i++) record(`a${i}`, i);
    const [incident] = tracker.drain();
    expect(incident).toMatchObject({ alertCount: 5, alertIds: ['a0', 'a1', 'a2'], alertIdsTruncated: true });

    const idless = new IncidentTracker({ maxAlertIds: 0 });
    expect(recorder(idless)('a0', 0).incident).toMatchObject({ alertIds: [], alertIdsTruncated: true });
  });

  it('defaults to listing 100 ids', () => {
    const tracker = new IncidentTracker();
    const record = recorder(tracker);
    for (let i = 0; i < 101; i++) record(`a${i}`, i);
    expect(tracker.drain()[0]).toMatchObject({ alertCount: 101, alertIdsTruncated: true });
  });

  it('renders the title once, from the alert that opened the incident', () => {
    const tracker = new IncidentTracker();
    const spec = grouping();
    const groupFields = { 'entities.host': 'web-1' };
    tracker.record(spec, 'g', groupFields, alertAt('a1', { host: 'web-1' }), T0);
    const { incident } = tracker.record(spec, 'g', groupFields, alertAt('a2', { host: 'other' }), T0 + 1);
    expect(incident.title).toBe('Beacon from web-1');
  });

  it('gives the same ids for the same input, whatever the tracker', () => {
    const run = () => {
      const tracker = new IncidentTracker();
      const record = recorder(tracker);
      return [record('a1', 0), record('a2', 5_000), record('a3', 5_001, 'db-1')].map((r) => r.incidentId);
    };
    expect(run()).toEqual(run());
    expect(run()[1]).toBe(incidentId('beacon', 'web-1', T0 + 5_000));
  });
});

describe('IncidentTracker: out-of-order alerts', () => {
  it('an earlier alert within the window joins and moves firstSeen back; the id stays', () => {
    const tracker = new IncidentTracker();
    const record = recorder(tracker);
    const first = record('a1', 5_000);
    const early = record('a0', 4_000);
    expect(early).toMatchObject({ opened: false, incidentId: first.incidentId });
    expect(early.incident).toMatchObject({
      id: incidentId('beacon', 'web-1', T0 + 5_000),
      firstSeen: new Date(T0 + 4_000).toISOString(),
      lastSeen: new Date(T0 + 5_000).toISOString(),
    });
  });

  it('a straggler from before the window becomes its own closed incident and leaves the open one be', () => {
    const tracker = new IncidentTracker();
    const record = recorder(tracker);
    const open = record('a1', 5_000);
    const straggler = record('a0', 3_000);
    expect(straggler.opened).toBe(true);
    expect(straggler.incident.status).toBe('closed');
    expect(record('a2', 5_500).incidentId).toBe(open.incidentId);
    expect(tracker.advance(0).map((i) => i.id)).toEqual([straggler.incidentId]);
    expect(tracker.drain().map((i) => i.id)).toEqual([open.incidentId]);
  });
});

describe('IncidentTracker: closing', () => {
  it('advance closes what nobody can join any more, by closing time then id, and forgets it', () => {
    const tracker = new IncidentTracker();
    const record = recorder(tracker);
    record('a1', 0, 'h1'); // closes at 1000
    record('a2', 500, 'h2'); // closes at 1500
    record('a3', 0, 'h3'); // closes at 1000
    record('a4', 3_000, 'h4');
    expect(tracker.advance(T0 + 1_000)).toEqual([]); // lastSeen + windowMs == watermark: still joinable
    const closed = tracker.advance(T0 + 2_000);
    const sameTime = [incidentId('beacon', 'h1', T0), incidentId('beacon', 'h3', T0)].sort();
    expect(closed.map((i) => i.id)).toEqual([...sameTime, incidentId('beacon', 'h2', T0 + 500)]);
    expect(closed.every((i) => i.status === 'closed' && IncidentRecord.safeParse(i).success)).toBe(true);
    expect(tracker.advance(T0 + 2_000)).toEqual([]);
    expect(tracker.stats()).toMatchObject({ open: 1, pendingClosed: 0 });
  });

  it('a join pushes the closing time back', () => {
    const tracker = new IncidentTracker();
    const record = recorder(tracker);
    record('a1', 0, 'h1');
    record('a2', 500, 'h2'); // closes at 1500
    record('a3', 900, 'h1'); // h1 now closes at 1900
    expect(tracker.advance(T0 + 1_600).map((i) => i.alertIds)).toEqual([['a2']]);
    expect(tracker.advance(T0 + 1_901).map((i) => i.alertIds)).toEqual([['a1', 'a3']]);
  });

  it('an incident cut by maxSpan closes at the event time of the alert that cut it', () => {
    const tracker = new IncidentTracker();
    const record = recorder(tracker, grouping({ windowMs: 1_000, maxSpanMs: 100 }));
    record('a1', 0, 'h1');
    record('a2', 150, 'h1'); // closes h1's first incident at 150; the new one closes at 1150
    record('a3', -500, 'h2'); // closes at 500
    expect(tracker.advance(T0 + 10_000).map((i) => i.alertIds)).toEqual([['a1'], ['a3'], ['a2']]);
  });

  it('an incident closed for maxOpen closes at the event time of the alert that needed the room', () => {
    const tracker = new IncidentTracker({ maxOpen: 2 });
    const slow = recorder(tracker, grouping({ ruleId: 'slow', windowMs: 1_000 }));
    const fast = recorder(tracker, grouping({ ruleId: 'fast', windowMs: 100 }));
    slow('a1', 0); // oldest lastSeen: closed at 150, not at its deadline 1000
    fast('a2', 100); // closes at 200
    fast('a3', 150, 'h2'); // closes at 250
    expect(tracker.advance(T0 + 10_000).map((i) => i.alertIds)).toEqual([['a1'], ['a2'], ['a3']]);
  });

  it('an incident never closes before its own lastSeen, even when an older alert forced it out', () => {
    const tracker = new IncidentTracker({ maxOpen: 1 });
    const record = recorder(tracker, grouping({ windowMs: 100 }));
    record('a1', 500, 'h1'); // forced out by a2, at 500 rather than a2's 100
    record('a2', 100, 'h2'); // closes at 200
    expect(tracker.advance(T0 + 10_000).map((i) => i.alertIds)).toEqual([['a2'], ['a1']]);
  });

  it('drain returns the open incidents by firstSeen then id, still open, and forgets them', () => {
    const tracker = new IncidentTracker();
    const record = recorder(tracker);
    record('a1', 200, 'h1');
    record('a2', 100, 'h2');
    record('a3', 100, 'h3');
    record('a4', 300, 'h1');
    const drained = tracker.drain();
    const tied = [incidentId('beacon', 'h2', T0 + 100), incidentId('beacon', 'h3', T0 + 100)].sort();
    expect(drained.map((i) => i.id)).toEqual([...tied, incidentId('beacon', 'h1', T0 + 200)]);
    expect(drained.every((i) => i.status === 'open')).toBe(true);
    expect(tracker.stats().open).toBe(0);
    expect(tracker.drain()).toEqual([]);
  });

  it('beyond maxOpen closes the incident with the oldest lastSeen, returned by the next advance', () => {
    const tracker = new IncidentTracker({ maxOpen: 2 });
    const record = recorder(tracker);
    record('a1', 0, 'h1');
    record('a2', 10, 'h2');
    record('a3', 20, 'h1'); // h2 now has the oldest lastSeen
    record('a4', 30, 'h3');
    expect(tracker.stats()).toMatchObject({ open: 2, forcedCloses: 1, pendingClosed: 1 });
    expect(tracker.advance(0)).toEqual([expect.objectContaining({ groupKey: { 'entities.host': 'h2' }, status: 'closed' })]);
    expect(tracker.drain().map((i) => i.groupKey['entities.host'])).toEqual(['h1', 'h3']);
  });

  it('the view returned by record follows the incident until it closes', () => {
    const tracker = new IncidentTracker();
    const record = recorder(tracker);
    const { incident } = record('a1', 0);
    record('a2', 10);
    expect(incident.alertCount).toBe(2);
    tracker.advance(T0 + 10_000);
    expect(incident.status).toBe('closed');
  });

  it('rejects bad options and times', () => {
    expect(() => new IncidentTracker({ maxOpen: 0 })).toThrow(/maxOpen/);
    expect(() => new IncidentTracker({ maxAlertIds: -1 })).toThrow(/maxAlertIds/);
    expect(() => recorder(new IncidentTracker())('a', Number.NaN)).toThrow(/finite/);
    expect(() => recorder(new IncidentTracker(), grouping({ windowMs: -1 }))('a', 0)).toThrow(/window/);
  });
});

describe('IncidentTracker: every alert lands in exactly one incident', () => {
  const stepArb = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        op: fc.constant('record' as const),
        rule: fc.constantFrom('r1', 'r2'),
        group: fc.constantFrom('g1', 'g2', 'g3'),
        forward: fc.nat(300),
        back: fc.oneof(fc.constant(0), fc.nat(3_000)),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('advance' as const), lag: fc.nat(2_000) }) },
  );

  it('sum of alertCount over advanced and drained incidents = record calls, and each id appears once', () => {
    fc.assert(
      fc.property(
        fc.array(stepArb, { maxLength: 300, size: 'max' }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 1_000 }),
        fc.option(fc.integer({ min: 0, max: 3_000 }), { nil: undefined }),
        (steps, maxOpen, windowMs, maxSpanMs) => {
          const tracker = new IncidentTracker({ maxOpen, maxAlertIds: 1_000 });
          const specs = new Map(['r1', 'r2'].map((ruleId) => [ruleId, grouping({ ruleId, windowMs, maxSpanMs })]));
          const out: IncidentRecord[] = [];
          let clock = T0;
          steps.forEach((step, n) => {
            if (step.op === 'advance') {
              out.push(...tracker.advance(clock - step.lag));
              return;
            }
            clock += step.forward;
            tracker.record(specs.get(step.rule)!, step.group, { group: step.group }, alertAt(`alert-${n}`), clock - step.back);
            expect(tracker.stats().open).toBeLessThanOrEqual(maxOpen);
          });
          const recorded = steps.filter((s) => s.op === 'record').length;
          out.push(...tracker.advance(-Infinity), ...tracker.drain());
          expect(out.reduce((sum, i) => sum + i.alertCount, 0)).toBe(recorded);
          const ids = out.flatMap((i) => i.alertIds);
          expect(new Set(ids).size).toBe(recorded);
          for (const incident of out) {
            IncidentRecord.parse(incident);
            const span = Date.parse(incident.lastSeen) - Date.parse(incident.firstSeen);
            expect(span).toBeGreaterThanOrEqual(0);
            expect(span).toBeLessThanOrEqual(maxSpanMs ?? Infinity);
          }
          expect(tracker.stats()).toMatchObject({ open: 0, pendingClosed: 0, recorded });
        },
      ),
      { numRuns: 300 },
    );
  });
});
