import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alert, ndjson, rule, tempDir, writeRules } from '../helpers.js';

const BIN = join(import.meta.dirname, '../../bin/alertgate.js');
const TRACE = join(import.meta.dirname, '../support/trace-modules.mjs');

/** The modules `alertgate <args>` loads, as paths under dist/ or node_modules/. */
function modulesLoadedBy(args: string[]): string[] {
  const r = spawnSync(process.execPath, ['--import', TRACE, BIN, ...args], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const urls = r.stderr.split('\n').filter((l) => l.startsWith('module ')).map((l) => l.slice('module '.length));
  return [...new Set(urls.map((u) => u.replace(/^.*\/(dist|node_modules)\//, '$1/')))];
}

describe('replay starts with what it uses', () => {
  it('loads no receiver, Kafka, HTTP, ledger, metrics-server or report module (they doubled its startup)', () => {
    const rules = writeRules({ 'r.yaml': rule({ id: 'r', conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] } }) });
    const input = join(tempDir(), 'alerts.ndjson');
    writeFileSync(input, ndjson([alert({ id: 'a1', severity: 'high' })]));
    const loaded = modulesLoadedBy(['replay', '--rules', rules, '--input', input, '--summary', 'json']);
    // The trace works: the pipeline's own modules are there.
    expect(loaded).toContain('dist/pipeline/pipeline.js');
    // Of the ledger, only its pure shapes and checks (recorder, records, since, storable-text) may load: no database driver comes with them.
    const unneeded = /^node_modules\/(kafkajs|fastify|pino|prom-client|kysely|better-sqlite3|pg|@slack|jira\.js|nodemailer|axios)\/|^dist\/(receivers|kafka|http|ledger\/(?!recorder|records|since|storable-text)|report|worker|delivery|escalation|config\/(load|schema))/;
    expect(loaded.filter((m) => unneeded.test(m))).toEqual([]);
  });
});
