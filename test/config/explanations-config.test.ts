import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { configFile, rule, writeRules } from '../helpers.js';

describe('config: outputs.explanations', () => {
  it('is full by default; compact with a sample and rules from the file, overridden by ALERTGATE_* variables', async () => {
    const defaults = await loadConfig(undefined, {});
    expect(defaults.outputs).toEqual({ explanations: 'full', explanationSample: 0, explainRules: [] });
    const file = configFile({ outputs: { decisions: 'd.ndjson', explanations: 'compact', explanationSample: 0.01, explainRules: ['a'] } });
    expect((await loadConfig(file, {})).outputs).toEqual({ decisions: 'd.ndjson', explanations: 'compact', explanationSample: 0.01, explainRules: ['a'] });
    const env = { ALERTGATE_EXPLANATIONS: 'compact', ALERTGATE_EXPLANATION_SAMPLE: '0.5', ALERTGATE_EXPLAIN_RULES: 'b, c' };
    expect((await loadConfig(undefined, env)).outputs).toEqual({ explanations: 'compact', explanationSample: 0.5, explainRules: ['b', 'c'] });
  });

  it('names the field of an invalid value', async () => {
    await expect(loadConfig(configFile({ outputs: { explanations: 'terse' } }), {})).rejects.toThrow(/\/outputs\/explanations: /);
    await expect(loadConfig(configFile({ outputs: { explanationSample: 2 } }), {})).rejects.toThrow(/\/outputs\/explanationSample: /);
    await expect(loadConfig(undefined, { ALERTGATE_EXPLANATION_SAMPLE: 'x' })).rejects.toThrow(/ALERTGATE_EXPLANATION_SAMPLE: expected a number/);
  });

  it('run stops at start, exit 1, when outputs.explainRules names no rule', () => {
    const rules = writeRules({ 'r.yaml': rule({ id: 'known' }) });
    const config = configFile({ rules, input: { path: '-' }, http: { enabled: false }, outputs: { explanations: 'compact', explainRules: ['known', 'unknwon'] } });
    const r = spawnSync(process.execPath, [join(import.meta.dirname, '../../bin/alertgate.js'), 'run', '--config', config], { input: '', encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/outputs\.explainRules: no rule in .* has the id "unknwon"/);
  });
});
