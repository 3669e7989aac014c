import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/load.js';
import type { RuleProblem } from '../../src/rules/problems.js';
import { readRuleFile } from '../../src/rules/read-files.js';
import { rule, tempDir, writeRules } from '../helpers.js';

/** The same text read as a .json file (JSON.parse) and as a .yaml file (the YAML parser, where JSON used to go). */
async function bothWays(text: string) {
  const dir = tempDir('alertgate-json-rules-');
  const read = async (name: string) => {
    writeFileSync(join(dir, name), text);
    const problems: RuleProblem[] = [];
    const docs = await readRuleFile(join(dir, name), problems);
    const lines = docs.map((d) => (d.value !== null && typeof d.value === 'object' ? Object.keys(d.value).map((k) => d.lineOf([k])) : [d.lineOf([])]));
    return { docs: docs.map(({ base, value }) => ({ base, value })), lines, problems: problems.map((p) => ({ ...p, file: '' })) };
  };
  return { json: await read('rules.json'), yaml: await read('rules.yaml') };
}

const key = fc.oneof(fc.constantFrom('id', 'conditions', '__proto__', 'a"b', 'x:y', 'é'), fc.string({ maxLength: 4 }));
const json = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 6 }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('.json rule files', () => {
  it('read to the values, documents, lines and problems the YAML parser gives the same text', async () => {
    await fc.assert(
      fc.asyncProperty(json, fc.boolean(), async (value, pretty) => {
        const { json: fast, yaml } = await bothWays(JSON.stringify(value, null, pretty ? 2 : undefined));
        expect(fast).toEqual(yaml);
      }),
      { numRuns: 300 },
    );
  });

  it('leave a key written twice, and text that is not JSON, to the YAML parser, which reports them', async () => {
    for (const text of ['{"id": "a", "version": 1, "id": "b"}', '[{"id": "a"}, {"x": {"k": 1, "k": 2}}]', '{"id": "a",}', '', '# only a comment\n']) {
      const { json: fast, yaml } = await bothWays(text);
      expect(fast, text).toEqual(yaml);
    }
    expect((await bothWays('{"id": "a", "id": "b"}')).json.problems).toEqual([expect.objectContaining({ message: expect.stringMatching(/unique/) })]);
  });

  it('locate a rule problem on its line', async () => {
    const dir = writeRules({ 'pack.json': JSON.stringify([rule({ id: 'ok' }), rule({ id: 'bad', severity: 'nope' })], null, 2) });
    const loaded = await loadRules(dir);
    expect(loaded.ok).toBe(false);
    const lines = JSON.stringify([rule({ id: 'ok' }), rule({ id: 'bad', severity: 'nope' })], null, 2).split('\n');
    const severityLine = lines.findIndex((l) => l.includes('"nope"')) + 1;
    expect(!loaded.ok && loaded.problems).toEqual([expect.objectContaining({ pointer: '/1/severity', line: severityLine })]);
  });
});
