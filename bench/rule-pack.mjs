// The rule pack and alerts the eval and CLI benches share: rules of one shape (3 leaves, facts read
// through paths) and seeded alerts with the fields they read.
import { Engine } from 'json-rules-engine';
import { mulberry32, pick } from '../scripts/prng.mjs';

const SIGNATURES = Array.from({ length: 200 }, (_, i) => `ET POLICY signature ${i}`);
const HOSTS = Array.from({ length: 50 }, (_, i) => `host-${i}`);

/**
 * `count` rules: "pinned" rules name their signature with `equal` (indexable, as most real rules
 * are); "unpinned" rules do not, so every rule runs on every alert.
 */
export function rulePack(pinned, count) {
  return Array.from({ length: count }, (_, i) => ({
    id: `bench-${String(i).padStart(3, '0')}`,
    version: 1,
    title: `bench rule ${i}`,
    owner: 'bench',
    severity: 'medium',
    category: 'other',
    decision: 'promote',
    priority: 1 + (i % 3),
    conditions: {
      all: [
        pinned
          ? { fact: 'name', operator: 'equal', value: SIGNATURES[i % SIGNATURES.length] }
          : { fact: 'raw', path: '$.rule.level', operator: 'greaterThanInclusive', value: 3 + (i % 12) },
        { fact: 'entities', path: '$.host', operator: 'notIn', value: [HOSTS[i % HOSTS.length], HOSTS[(i + 1) % HOSTS.length]] },
        { any: [
          { fact: 'raw', path: '$.dst_port', operator: 'lessThan', value: 1024 + i },
          { fact: 'severity', operator: 'in', value: ['high', 'critical'] },
        ] },
      ],
    },
  }));
}

/** `n` normalized alerts (`{alert, timeMs, line}`, as the evaluator takes them), seeded: the same on every machine. */
export function makeAlerts(n) {
  const random = mulberry32(42);
  return Array.from({ length: n }, (_, i) => {
    const raw = { dst_port: Math.floor(random() * 65535), rule: { level: Math.floor(random() * 16) } };
    return {
      alert: {
        id: `a${i}`,
        time: '2026-11-20T10:00:00.000Z',
        source: 'suricata',
        name: pick(random, SIGNATURES),
        severity: pick(random, ['info', 'low', 'medium', 'high', 'critical']),
        severityOriginal: null,
        category: 'policy',
        entities: { host: pick(random, HOSTS), src_ip: `10.0.${i % 255}.${i % 7}` },
        tags: [],
        raw,
      },
      timeMs: Date.UTC(2026, 10, 20, 10),
      line: i + 1,
    };
  });
}

/** The naive baseline: one json-rules-engine `Engine` holding the pack, as its README shows; `run()` it per alert. */
export function naiveEngine(rules) {
  const engine = new Engine([], { allowUndefinedFacts: false });
  for (const r of rules) engine.addRule({ name: r.id, priority: r.priority, conditions: r.conditions, event: { type: r.decision } });
  return engine;
}
