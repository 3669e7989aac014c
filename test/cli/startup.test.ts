import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { alert, ndjson, rule, tempDir, writeRules } from '../helpers.js';

const BIN = join(import.meta.dirname, '../../bin/alertgate.js');
const TRACE = join(import.meta.dirname, '../support/trace-modules.mjs');

/**
 * The modules `alertgate <args>` loads, as paths under dist/ or node_modules/. The bin runs the
 * bundle (scripts/bundle.mjs): each chunk of dist/bundle/ it loads stands for the modules its source
 * map names, so what a command loads is still told in dist's modules.
 */
function modulesLoadedBy(args: string[]): string[] {
  const r = spawnSync(process.execPath, ['--import', TRACE, BIN, ...args], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const files = r.stderr.split('\n').filter((l) => l.startsWith('module file:')).map((l) => fileURLToPath(l.slice('module '.length)));
  const modules = files.flatMap((file) => {
    if (!file.includes('/dist/bundle/')) return [file];
    const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] };
    return map.sources.map((source) => resolve(dirname(file), source));
  });
  // A package's own dist/ (jsonpath-plus/dist/…) stays under its node_modules/ name.
  const named = (m: string) => (m.includes('/node_modules/') ? m.replace(/^.*\/node_modules\//, 'node_modules/') : m.replace(/^.*\/dist\//, 'dist/'));
  return [...new Set(modules.map(named))];
}

describe('replay starts with what it uses', () => {
  it('loads no receiver, Kafka, HTTP, ledger, metrics-server or report module (they doubled its startup)', () => {
    const rules = writeRules({ 'r.yaml': rule({ id: 'r', conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] } }) });
    const input = join(tempDir(), 'alerts.ndjson');
    writeFileSync(input, ndjson([alert({ id: 'a1', severity: 'high' })]));
    const loaded = modulesLoadedBy(['replay', '--rules', rules, '--input', input, '--summary', 'json']);
    // The trace works: the pipeline's own modules are there, read from the bundle's chunks, and zod (bundled) too.
    expect(loaded).toContain('dist/pipeline/pipeline.js');
    expect(loaded.some((m) => m.startsWith('node_modules/zod/'))).toBe(true);
    // Of the ledger, only its pure shapes and checks (recorder, records, since, storable-text) may load: no database driver comes with them.
    const unneeded = /^node_modules\/(re2js|ipaddr\.js|jsonpath-plus|kafkajs|fastify|pino|prom-client|kysely|better-sqlite3|pg|@slack|jira\.js|nodemailer|axios)\/|^dist\/(receivers|kafka|http|ledger\/(?!recorder|records|since|storable-text)|report|worker|delivery|escalation|config\/(load|schema))/;
    expect(loaded.filter((m) => unneeded.test(m))).toEqual([]);
  });

  it('requires re2js, ipaddr.js and jsonpath-plus when a rule needs them, from the bundle', () => {
    const rules = writeRules({
      'r.yaml': rule({
        id: 'r',
        conditions: {
          all: [
            { fact: 'name', operator: 'regex', value: '^ET (SCAN|POLICY) ' },
            { fact: 'entities', path: '$.src_ip', operator: 'inCidr', value: '10.0.0.0/8' },
            { fact: 'raw', path: '$.tags[0]', operator: 'equal', value: 'x' },
          ],
        },
      }),
    });
    const input = join(tempDir(), 'alerts.ndjson');
    writeFileSync(
      input,
      ndjson([
        alert({ id: 'a1', name: 'ET SCAN nmap', entities: { src_ip: '10.1.2.3' }, raw: { tags: ['x'] } }),
        alert({ id: 'a2', name: 'ET SCAN nmap', entities: { src_ip: '192.168.0.1' }, raw: { tags: ['x'] } }),
        alert({ id: 'a3', name: 'ET SCAN nmap', entities: { src_ip: '10.1.2.3' }, raw: { tags: ['y'] } }),
      ]),
    );
    const loaded = modulesLoadedBy(['replay', '--rules', rules, '--input', input, '--summary', 'json']);
    for (const name of ['re2js', 'ipaddr.js', 'jsonpath-plus']) expect(loaded.some((m) => m.startsWith(`node_modules/${name}/`))).toBe(true);
    const r = spawnSync(process.execPath, [BIN, 'replay', '--rules', rules, '--input', input, '--summary', 'json'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ alerts: 3, promoted: 1 });
  });
});
