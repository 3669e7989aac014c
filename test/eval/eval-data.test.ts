import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without types
import { generateNetwork } from '../../scripts/eval-data.mjs';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import { createNormalizer, loadMapping } from '../../src/normalize/index.js';
import { EvalLabels } from '../../src/eval/labels.js';
import { evaluateLines } from '../../src/eval/run-eval.js';

const ROOT = join(import.meta.dirname, '../..');

interface Generated {
  lines: string[];
  labels: unknown;
}
const generate = (network: string, options: object = {}) => generateNetwork(network, { scale: 'small', ...options }) as Generated;

describe('the generated evaluation data (scripts/eval-data.mjs, small scale)', () => {
  const test = generate('test');
  const labels = EvalLabels.parse(test.labels);

  it('is the same bytes for the same seed, and another stream for another seed or network', () => {
    expect(generate('test').lines).toEqual(test.lines);
    expect(generate('test', { seed: 7 }).lines).not.toEqual(test.lines);
    expect(generate('train').lines[0]).not.toEqual(test.lines[0]);
  });

  it('has labels whose attack-caused alerts are alerts of the stream, in phases of its attacks, and alerts in time order', () => {
    const ids = new Set(test.lines.map((l) => (JSON.parse(l) as { id: string }).id));
    const attackAlerts = Object.keys(labels.attackAlerts);
    expect(attackAlerts.length).toBeGreaterThan(0);
    expect(attackAlerts.every((id) => ids.has(id))).toBe(true);
    const phases = labels.attacks.flatMap((a) => a.phases);
    expect(phases.length).toBeGreaterThanOrEqual(6);
    for (const phase of phases) expect(Object.values(labels.attackAlerts).filter((p) => p === phase.id)).toHaveLength(phase.alerts);
    const times = test.lines.map((l) => Date.parse((JSON.parse(l) as { timestamp: string }).timestamp));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
  });

  it('looks like a signature stream: source, signature, host and address, no severity, category or tags', () => {
    const sources = new Set(test.lines.map((l) => (JSON.parse(l) as { source: string }).source));
    expect([...sources].sort()).toEqual(['aminer', 'suricata', 'wazuh']);
    expect(Object.keys(JSON.parse(test.lines[0]!) as object)).toEqual(['id', 'timestamp', 'source', 'name', 'host', 'host_ip']);
  });

  it('after a day of baseline, the signature-stream pack cuts the starter rules\' false positives by more than five times on it, and covers most phases', async () => {
    const normalize = createNormalizer({ format: 'generic', mapping: await loadMapping(join(ROOT, 'fixtures/mappings/signature-stream.yaml')) });
    const lines = test.lines.map((text, i) => ({ line: i + 1, text }));
    const cases = { mergeBy: ['host'], windowMs: 3_600_000 };
    const warmupMs = 86_400_000;
    const starter = evaluateLines(lines, { ruleset: await loadRulesOrThrow(join(ROOT, 'rules')), normalize, labels, cases, warmupMs }).report();
    const pack = evaluateLines(lines, { ruleset: await loadRulesOrThrow(join(ROOT, 'packs/signature-stream')), normalize, labels, cases, warmupMs }).report();
    // Every line is read by the mapping: nothing left out of the score (but the warm-up's).
    expect(evaluateLines(lines, { ruleset: await loadRulesOrThrow(join(ROOT, 'packs/signature-stream')), normalize, labels, cases }).report().alerts).toBe(test.lines.length);
    expect(pack.falsePositiveIncidents * 5).toBeLessThan(starter.falsePositiveIncidents);
    expect(pack.phaseCoverage).toBeGreaterThanOrEqual(0.75);
  });
});
