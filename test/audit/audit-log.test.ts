import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createAuditLog, FeedbackAudit, ReloadAudit, TuningAudit, WatermarkAudit } from '../../src/audit/audit-log.js';
import { reloadRulesOnChange, RULES_WATCHER } from '../../src/cli/rule-reload.js';
import { createLogger } from '../../src/cli/logger.js';
import { loadConfig } from '../../src/config/load.js';
import { parseDecision } from '../../src/decide/decision-record.js';
import { WorkerMetrics } from '../../src/metrics/metrics.js';
import { createNormalizer } from '../../src/normalize/index.js';
import { decisionKindOf } from '../../src/pipeline/decision-json.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import { alert, at, rule, ruleset, tempDir, writeRules } from '../helpers.js';

/** A logger whose JSON lines the test reads; `next(predicate)` resolves when a matching line is written. */
function capturedLogger(level = 'info', redact: string[] = []) {
  const lines: Record<string, unknown>[] = [];
  let raw = '';
  const waiters: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  const log = createLogger(level, {
    redact,
    destination: {
      write(chunk: string) {
        raw += chunk;
        for (const text of chunk.split('\n').filter(Boolean)) {
          const line = JSON.parse(text) as Record<string, unknown>;
          lines.push(line);
          for (const w of [...waiters]) {
            if (!w.match(line)) continue;
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      },
    },
  });
  const next = (match: (l: Record<string, unknown>) => boolean) => new Promise<Record<string, unknown>>((resolve) => waiters.push({ match, resolve }));
  return { log, lines, raw: () => raw, next };
}

/** What an audit line carries besides pino's fields and the `audit`/`event` tags. */
function eventFields(line: Record<string, unknown>): Record<string, unknown> {
  const { level: _l, time: _t, service: _s, msg: _m, audit: _a, event: _e, ...fields } = line;
  return fields;
}

describe('logs: redaction', () => {
  it('never writes the SASL password, TLS key and passphrase, authorization headers or tokens', async () => {
    const file = join(tempDir(), 'config.yaml');
    writeFileSync(
      file,
      stringify({
        kafka: {
          brokers: ['k1:9092'],
          topics: { input: ['alerts'] },
          sasl: { mechanism: 'scram-sha-512', username: 'alertgate', password: 'sasl-pw-1d2c' },
          ssl: { key: '-----BEGIN PRIVATE KEY-----key-3f9a', passphrase: 'pass-7b1e', rejectUnauthorized: true },
        },
      }),
    );
    const config = await loadConfig(file, {});
    const { log, raw } = capturedLogger('debug', ['outputs.decisions']);
    log.debug({ config }, 'configuration');
    log.info({ kafka: config.kafka }, 'kafka options');
    log.info({ sasl: config.kafka!.sasl, ssl: config.kafka!.ssl }, 'client options');
    log.info({ req: { headers: { authorization: 'Bearer tok-5e6f' } }, token: 'tok-9a8b', api: { tokens: ['tok-aa11'] } }, 'request');
    log.info({ outputs: { decisions: '/secret/path.ndjson' } }, 'custom redaction');
    const text = raw();
    for (const secret of ['sasl-pw-1d2c', 'key-3f9a', 'pass-7b1e', 'tok-5e6f', 'tok-9a8b', 'tok-aa11', '/secret/path']) expect(text).not.toContain(secret);
    expect(text).toContain('"username":"alertgate"');
    expect(text.match(/\[redacted\]/g)!.length).toBeGreaterThanOrEqual(10);
  });
});

describe('audit log', () => {
  it('records feedback, tuning changes and watermark resets with who, what, before and after, at info even when the log level is warn', () => {
    const { log, lines } = capturedLogger('warn');
    const audit = createAuditLog(log);
    log.info('an ordinary info line is dropped at warn');
    const feedback: FeedbackAudit = { actor: 'analyst@soc', incidentId: 'inc-1', ruleId: 'recon-scan', verdict: 'false_positive', previousVerdict: null, note: 'scanner' };
    const tuning: TuningAudit = { actor: 'tuner', ruleId: 'recon-scan', changeId: 'chg-1', action: 'applied', before: { minPorts: 20 }, after: { minPorts: 25 }, reason: '3 FP in 7 days' };
    audit.feedback(feedback);
    audit.tuningChange(tuning);
    audit.tuningChange({ ...tuning, action: 'reverted', before: { minPorts: 25 }, after: { minPorts: 20 } });
    const watermark: WatermarkAudit = { actor: 'eng', requested: 'recent', from: '9999-12-31T23:59:59.000Z', to: '2026-11-18T10:00:00.000Z', windowEventsDropped: 1, incidentsClosed: ['inc-2'] };
    audit.watermarkReset(watermark);
    expect(lines.map((l) => [l.audit, l.event, l.msg])).toEqual([
      [true, 'feedback', 'audit: feedback recorded'],
      [true, 'tuning', 'audit: tuning change applied'],
      [true, 'tuning', 'audit: tuning change reverted'],
      [true, 'watermark.reset', 'audit: watermark reset'],
    ]);
    expect(FeedbackAudit.parse(eventFields(lines[0]!))).toEqual(feedback);
    expect(TuningAudit.parse(eventFields(lines[1]!))).toEqual(tuning);
    expect(WatermarkAudit.parse(eventFields(lines[3]!))).toEqual(watermark);
  });

  it('records decisions with their explanations as log.audit.decisions says: off, promoted or all', async () => {
    const set = await ruleset({
      'r.yaml': [
        rule({ id: 'high', conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] } }),
        rule({ id: 'quiet', decision: 'suppress', conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'low' }] } }),
      ],
    });
    const decisionsLogged = (decisions: 'off' | 'promoted' | 'all') => {
      const { log, lines } = capturedLogger();
      const audit = createAuditLog(log, { decisions });
      const pipeline = new Pipeline({
        ruleset: set,
        normalize: createNormalizer({ format: 'canonical' }),
        sinks: { decision: (json) => audit.decision(json), incident() {}, deadLetter() {} },
      });
      const alerts = [alert({ id: 'h', severity: 'high', time: at(0) }), alert({ id: 'l', severity: 'low', time: at(1) }), alert({ id: 'm', severity: 'medium', time: at(2) })];
      pipeline.processBatch(alerts.map((a, i) => ({ line: i + 1, text: JSON.stringify(a) })));
      return lines.map((l) => {
        expect(l).toMatchObject({ audit: true, event: 'decision', actor: 'alertgate', msg: 'audit: decision' });
        return parseDecision(JSON.stringify(l.decision));
      });
    };
    expect(decisionsLogged('off')).toEqual([]);
    expect(decisionsLogged('promoted').map((d) => [d.alertId, d.decision, d.ruleId])).toEqual([['h', 'promote', 'high']]);
    const all = decisionsLogged('all');
    expect(all.map((d) => [d.alertId, d.decision])).toEqual([
      ['h', 'promote'],
      ['l', 'suppress'],
      ['m', 'pass'],
    ]);
    expect(all[0]!.explanation).toMatchObject({ by: 'rule', rule: { id: 'high' } });
  });

  it('reads a written decision\'s kind without parsing it, whatever the alert id holds', async () => {
    const set = await ruleset({ 'r.yaml': rule({ id: 'high', conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] } }) });
    const written: string[] = [];
    const pipeline = new Pipeline({ ruleset: set, normalize: createNormalizer({ format: 'canonical' }), sinks: { decision: (json) => written.push(json), incident() {}, deadLetter() {} } });
    let line = 0;
    fc.assert(
      fc.property(fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.constant('","decision":"promote'), fc.constant('x,"decision":"suppress"')), fc.constantFrom('high', 'low'), (id, severity) => {
        written.length = 0;
        pipeline.processBatch([{ line: ++line, text: JSON.stringify(alert({ id, severity, time: at(0) })) }]);
        expect(written).toHaveLength(1);
        expect(decisionKindOf(written[0]!)).toBe(parseDecision(written[0]!).decision);
      }),
    );
  });

  it('records rule reloads from the file watcher: applied with the rule sets before and after, rejected with the problems', async () => {
    const dir = writeRules({ 'a.yaml': rule({ id: 'a' }), 'b.yaml': rule({ id: 'b' }) });
    const set = await loadRulesOrThrow(dir);
    const pipeline = new Pipeline({ ruleset: set, normalize: createNormalizer({ format: 'canonical' }), sinks: { decision() {}, incident() {}, deadLetter() {} } });
    const metrics = new WorkerMetrics();
    const { log, next } = capturedLogger();
    const stop = reloadRulesOnChange({ dir, pipeline, metrics, log });
    try {
      const applied = next((l) => l.event === 'rules.reload');
      writeFileSync(join(dir, 'a.yaml'), stringify(rule({ id: 'a', version: 2 })));
      writeFileSync(join(dir, 'c.yaml'), stringify(rule({ id: 'c' })));
      let line = await applied;
      // The watcher may see the two writes as two reloads: wait for the one that has both.
      while (!ReloadAudit.parse(eventFields(line)).after?.rules.includes('c')) line = await next((l) => l.event === 'rules.reload');
      const reload = ReloadAudit.parse(eventFields(line));
      expect(line).toMatchObject({ audit: true, msg: 'audit: rules reloaded' });
      expect(reload).toMatchObject({ actor: RULES_WATCHER, rulesDir: dir, result: 'applied', after: { rules: ['a', 'b', 'c'], fingerprint: pipeline.rules.fingerprint }, added: ['c'], removed: [] });
      expect(reload.changed).toContain('a');
      expect(reload.changed).not.toContain('b');
      expect(reload.after!.fingerprint).not.toBe(set.fingerprint);

      const rejected = next((l) => l.event === 'rules.reload' && l.result === 'rejected');
      writeFileSync(join(dir, 'b.yaml'), stringify(rule({ id: 'b', severity: 'apocalyptic' })));
      const bad = ReloadAudit.parse(eventFields(await rejected));
      expect(bad).toMatchObject({ actor: RULES_WATCHER, result: 'rejected', before: { fingerprint: pipeline.rules.fingerprint, rules: ['a', 'b', 'c'] } });
      expect(bad.after).toBeUndefined();
      expect(bad.problems!.join('\n')).toMatch(/b\.yaml: \/severity: /);
    } finally {
      stop();
    }
  });
});
