import { describe, expect, it } from 'vitest';
import type { IncidentRecord } from '../../src/incidents/index.js';
import { mostlyAbsentFields } from '../../src/metrics/field-absence.js';
import { createNormalizer, parseMapping } from '../../src/normalize/index.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import type { CompiledRuleSet } from '../../src/rules/ruleset.js';
import { rule, ruleset } from '../helpers.js';

/** A generic mapping as users wrote it in issue #10: plain dotted paths to keys that hold dots. */
const FALCO_MAPPING = `
source: { const: falco }
time: time
name: rule
severity: priority
entities:
  process: output_fields.proc.name
  container: output_fields.container.name
`;

/** Falco's JSON output: output_fields' keys are Falco field names, dots included. */
function falcoAlert(second: number, proc: string) {
  return {
    output: `10:00:0${second}.000000000: Notice A shell was spawned in a container with an attached terminal (process=${proc})`,
    priority: 'Notice',
    rule: 'Terminal shell in container',
    time: `2026-11-20T10:00:0${second}.123456789Z`,
    output_fields: { 'container.id': '788861c3cf83', 'container.name': 'web-1', 'proc.name': proc, 'proc.cmdline': `${proc} -i`, 'user.name': 'root' },
  };
}

function replay(set: CompiledRuleSet, mapping: string, records: readonly unknown[]) {
  const incidents: IncidentRecord[] = [];
  const pipeline = new Pipeline({
    ruleset: set,
    normalize: createNormalizer({ format: 'generic', mapping: parseMapping(mapping, 'mapping.yaml') }),
    sinks: { decision: () => {}, incident: (r) => incidents.push(r), deadLetter: () => {} },
  });
  pipeline.processBatch(records.map((r, i) => ({ line: i + 1, text: JSON.stringify(r) })));
  pipeline.finish();
  return { incidents, pipeline };
}

const shellRule = rule({
  id: 'shell-in-container',
  conditions: { all: [{ fact: 'name', operator: 'equal', value: 'Terminal shell in container' }] },
  incident: { groupBy: ['entities.container'], window: '1h', title: 'Shell in container: process={{entities.process}} container={{entities.container}}' },
});

describe('field names that contain dots (issue #10)', () => {
  it('fill the entities and the incident title instead of being dropped (the title read "process=? container=?")', async () => {
    const set = await ruleset({ 'shell.yaml': shellRule });
    const { incidents, pipeline } = replay(set, FALCO_MAPPING, [falcoAlert(1, 'bash'), falcoAlert(2, 'sh')]);
    expect(incidents.map((i) => [i.title, i.alertCount])).toEqual([['Shell in container: process=bash container=web-1', 2]]);
    expect(pipeline.stats.fieldAbsences()).toEqual([]);
  });

  it('read a flattened ECS document and a nested one through the same paths', async () => {
    const mapping = 'source: { const: ecs }\ntime: "@timestamp"\nname: rule.name\nseverity: { const: high }\nentities:\n  src_ip: source.ip\n  host: host.name\n';
    const set = await ruleset({ 'r.yaml': rule({ id: 'any', incident: { groupBy: ['entities.src_ip', 'entities.host'], window: '1h' } }) });
    const flat = { '@timestamp': '2026-11-20T10:00:00Z', 'rule.name': 'SSH brute force', 'source.ip': '203.0.113.9', 'host.name': 'bastion-1' };
    const nested = { '@timestamp': '2026-11-20T10:00:01Z', rule: { name: 'SSH brute force' }, source: { ip: '203.0.113.9' }, host: { name: 'bastion-1' } };
    const { incidents } = replay(set, mapping, [flat, nested]);
    expect(incidents.map((i) => [i.groupKey, i.alertCount])).toEqual([[{ 'entities.src_ip': '203.0.113.9', 'entities.host': 'bastion-1' }, 2]]);
  });

  it('a field the mapping never finds is counted per format and field, and reported as mostly absent', async () => {
    const set = await ruleset({ 'shell.yaml': shellRule });
    const wrong = FALCO_MAPPING.replace('output_fields.proc.name', 'output_fields.process.name');
    const { incidents, pipeline } = replay(set, wrong, [falcoAlert(1, 'bash'), falcoAlert(2, 'sh'), falcoAlert(3, 'zsh')]);
    expect(incidents.map((i) => i.title)).toEqual(['Shell in container: process=? container=web-1']);
    expect(mostlyAbsentFields(pipeline.stats)).toEqual([{ format: 'generic', field: 'entities.process', absent: 3, alerts: 3 }]);
  });
});
