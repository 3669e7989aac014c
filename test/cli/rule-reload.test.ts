import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createLogger } from '../../src/cli/logger.js';
import { Config } from '../../src/config/schema.js';
import { shardRefusalOf } from '../../src/config/sharding.js';
import { RuleReloader } from '../../src/cli/rule-reload.js';
import { WorkerMetrics } from '../../src/metrics/metrics.js';
import { createNormalizer } from '../../src/normalize/index.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import type { CompiledRuleSet } from '../../src/rules/ruleset.js';
import { rule, writeRules, YAML_ALIAS_BOMB } from '../helpers.js';

/** The reload path both workers share (run and the Kafka worker, whose decider switches the rules itself), over a real directory. */
async function reloading(
  switchRules?: (pipeline: Pipeline, ruleset: CompiledRuleSet) => Promise<{ kept: string[]; reset: string[] }>,
  refuse?: (ruleset: CompiledRuleSet) => string[],
  first: Record<string, unknown> = rule({ id: 'r', version: 1 }),
) {
  const dir = writeRules({ 'r.yaml': first });
  const pipeline = new Pipeline({ ruleset: await loadRulesOrThrow(dir), normalize: createNormalizer({ format: 'canonical' }), sinks: { decision: () => {}, incident: () => {}, deadLetter: () => {} } });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const log = createLogger('info', {
    destination: new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        for (const w of [...waiters]) if (w.pattern.test(String(chunk))) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
        done();
      },
    }),
  });
  const metrics = new WorkerMetrics();
  const reloader = new RuleReloader({ dir, pipeline, metrics, log, ...(switchRules ? { reload: (ruleset: CompiledRuleSet) => switchRules(pipeline, ruleset) } : {}), ...(refuse ? { refuse } : {}) });
  const reloads = async () => Object.fromEntries([...(await metrics.registry.metrics()).matchAll(/^alertgate_rule_reloads_total\{result="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
  return {
    dir,
    pipeline,
    lines,
    reloads,
    stop: reloader.watch(),
    /** Resolves at the next log line matching `pattern`. */
    logged: (pattern: RegExp) => new Promise<void>((resolve) => waiters.push({ pattern, resolve })),
  };
}

describe('rule reload (the path the run and Kafka workers share)', () => {
  it('under kafka.shardBy, a reload that brings a rule that is not exact is refused with the rule and reason; the running rules stay, and an exact change applies', async () => {
    const config = Config.parse({ kafka: { brokers: ['127.0.0.1:1'], topics: { input: ['alerts'] }, shardBy: ['entities.tenant'] }, cases: { mergeBy: [] } });
    const byTenant = (version: number, groupBy: string[]) => rule({ id: 'r', version, incident: { groupBy } });
    const w = await reloading(undefined, shardRefusalOf(config), byTenant(1, ['entities.tenant']));
    try {
      const running = w.pipeline.rules;
      const refused = w.logged(/"msg":"rules changed but are not exact under kafka.shardBy; the running rules stay"/);
      writeFileSync(join(w.dir, 'r.yaml'), stringify(byTenant(2, ['entities.host'])));
      await refused;
      expect(w.pipeline.rules).toBe(running);
      expect(w.lines.join('')).toContain('"  rule r: incident groups by [entities.host], which does not determine entities.tenant"');
      expect(await w.reloads()).toEqual({ applied: 0, rejected: 1 });

      const applied = w.logged(/"msg":"rules reloaded"/);
      writeFileSync(join(w.dir, 'r.yaml'), stringify(byTenant(3, ['entities.tenant', 'entities.host'])));
      await applied;
      expect(w.pipeline.rules.promoteRules.map((r) => r.rule.version)).toEqual([3]);
    } finally {
      w.stop();
    }
  });

  it('a switch that throws (the Kafka decider\'s can) is rejected, logged and counted; watching goes on and the next change applies (the chain used to reject for good)', async () => {
    let fail = true;
    const w = await reloading(async (pipeline, ruleset) => {
      if (fail) throw new Error('the decider is stopping');
      return pipeline.reload(ruleset);
    });
    try {
      const running = w.pipeline.rules;
      const failed = w.logged(/"msg":"rules reload failed; the running rules stay"/);
      writeFileSync(join(w.dir, 'r.yaml'), stringify(rule({ id: 'r', version: 2 })));
      await failed;
      expect(w.pipeline.rules).toBe(running);
      expect(w.lines.join('')).toContain(`${w.dir}: switching to the new rules failed: the decider is stopping`);
      expect(await w.reloads()).toEqual({ applied: 0, rejected: 1 });

      fail = false;
      const applied = w.logged(/"msg":"rules reloaded"/);
      writeFileSync(join(w.dir, 'r.yaml'), stringify(rule({ id: 'r', version: 3 })));
      await applied;
      expect(w.pipeline.rules.promoteRules.map((r) => r.rule.version)).toEqual([3]);
      expect(await w.reloads()).toEqual({ applied: 1, rejected: 1 });
    } finally {
      w.stop();
    }
  });

  it('an alias bomb written to a rule file is rejected with its place; the running rules stay', async () => {
    const w = await reloading();
    try {
      const running = w.pipeline.rules;
      const rejected = w.logged(/"msg":"rules changed but are invalid; the running rules stay"/);
      writeFileSync(join(w.dir, 'r.yaml'), YAML_ALIAS_BOMB);
      await rejected;
      expect(w.pipeline.rules).toBe(running);
      expect(w.lines.join('')).toMatch(/r\.yaml: \/: aliases expand too far \(over maxAliasCount 100; [^"]*\): write the values out, or alias less \(line 2\)/);
      expect(await w.reloads()).toEqual({ applied: 0, rejected: 1 });
    } finally {
      w.stop();
    }
  });
});
