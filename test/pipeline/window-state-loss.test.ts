import { describe, expect, it } from 'vitest';
import { StateLossWarning } from '../../src/metrics/state-loss-warning.js';
import { alert, at, rule, ruleset, runPipeline } from '../helpers.js';

const bruteForce = (window: Record<string, unknown>, minFailures = 3) => ({
  'brute.yaml': rule({
    id: 'brute',
    match: { all: [{ fact: 'name', operator: 'equal', value: 'sshd: authentication failed' }] },
    window: { groupBy: ['entities.src_ip'], size: '1h', ...window },
    aggregates: { failures: { kind: 'count' } },
    conditions: { all: [{ fact: 'failures', operator: 'greaterThanInclusive', value: minFailures }] },
  }),
});

/** `sources` addresses, each failing `rounds` times, round after round, all within the hour. */
function failures(sources: number, rounds: number) {
  const lines: string[] = [];
  for (let r = 0; r < rounds; r++) {
    for (let s = 0; s < sources; s++) {
      lines.push(JSON.stringify(alert({ id: `f-${r}-${s}`, time: at(r + s / 1000), name: 'sshd: authentication failed', entities: { src_ip: `198.51.100.${s}` } })));
    }
  }
  return lines;
}

describe('decisions on windows that lost state', () => {
  it('say so in the explanation and the summary: more sources than maxKeys made every count read 1, silently', async () => {
    const lines = failures(40, 3);
    const exact = runPipeline(await ruleset(bruteForce({})), lines);
    expect(exact.counts).toMatchObject({ promoted: 40, lossy: 0 });
    expect(exact.decisions.some((d) => d.explanation.window?.lossy !== undefined || d.explanation.nearMisses?.some((m) => m.lossy !== undefined))).toBe(false);

    const capped = runPipeline(await ruleset(bruteForce({ maxKeys: 10 })), lines);
    expect(capped.counts.promoted).toBe(0);
    const rounds = [0, 1, 2].map((r) => capped.decisions.slice(r * 40, (r + 1) * 40));
    // The first round lost nothing yet; every later decision read a window whose source had been evicted.
    expect(rounds[0]!.every((d) => d.explanation.nearMisses![0]!.lossy === undefined)).toBe(true);
    for (const d of [...rounds[1]!, ...rounds[2]!]) expect(d.explanation.nearMisses).toEqual([{ ruleId: 'brute', aggregates: { failures: 1 }, lossy: true }]);
    expect(capped.counts.lossy).toBe(80);
  });

  it('a rule that fires on a lossy window says so in window.lossy', async () => {
    const lines = failures(1, 8);
    const out = runPipeline(await ruleset(bruteForce({ maxEventsPerKey: 4 }, 4)), lines);
    expect(out.decisions.map((d) => d.decision)).toEqual(['pass', 'pass', 'pass', 'promote', 'promote', 'promote', 'promote', 'promote']);
    expect(out.decisions.slice(4).every((d) => d.explanation.window?.lossy === true && d.explanation.aggregates?.failures === 4)).toBe(true);
    expect(out.decisions.slice(0, 4).map((d) => d.explanation.window?.lossy ?? d.explanation.nearMisses?.[0]?.lossy)).toEqual([undefined, undefined, undefined, undefined]);
    expect(out.counts.lossy).toBe(4);
  });

  it('are warned about at most once a minute while they happen (injected clock), naming the rules', () => {
    const logged: { fields: unknown; message: string }[] = [];
    let now = 0;
    const warning = new StateLossWarning({ warn: (fields: unknown, message: string) => logged.push({ fields, message }) } as never, () => now);
    const stats = (lossyObservations: number, overflowEvictions = lossyObservations) => [
      { ruleId: 'brute', stats: { keys: 10, events: 10, lateEvents: 0, idleEvictions: 0, overflowEvictions, droppedEvents: 0, lossyObservations } },
      { ruleId: 'quiet', stats: { keys: 1, events: 1, lateEvents: 0, idleEvictions: 0, overflowEvictions: 0, droppedEvents: 0, lossyObservations: 0 } },
    ];
    warning.check(stats(0));
    expect(logged).toHaveLength(0);
    warning.check(stats(5));
    expect(logged).toHaveLength(1);
    expect(logged[0]!.fields).toEqual({ rules: [{ rule: 'brute', lossyDecisions: 5, overflowEvictions: 5, droppedEvents: 0, keys: 10, events: 10 }] });
    expect(logged[0]!.message).toMatch(/window\.lossy.*maxKeys/);
    now = 59_999;
    warning.check(stats(50));
    expect(logged).toHaveLength(1);
    now = 60_000;
    warning.check(stats(70));
    expect(logged).toHaveLength(2);
    expect(logged[1]!.fields).toEqual({ rules: [{ rule: 'brute', lossyDecisions: 65, overflowEvictions: 65, droppedEvents: 0, keys: 10, events: 10 }] });
    // Nothing new lost: no warning, however much time passes.
    now = 10 * 60_000;
    warning.check(stats(70));
    expect(logged).toHaveLength(2);
  });
});
