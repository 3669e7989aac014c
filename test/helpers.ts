import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { loadRules, loadRulesOrThrow } from '../src/rules/load.js';
import type { CompiledRuleSet } from '../src/rules/ruleset.js';

/** A fresh temp directory for one test. */
export function tempDir(prefix = 'alertgate-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes rule files (objects become YAML; strings are written as they are) into a new directory. */
export function writeRules(files: Record<string, unknown>): string {
  const dir = tempDir('alertgate-rules-');
  for (const [name, content] of Object.entries(files)) {
    const file = join(dir, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, typeof content === 'string' ? content : stringify(content));
  }
  return dir;
}

/** Writes a worker config (an object, as YAML) into a new directory; returns its path. */
export function configFile(content: unknown): string {
  const file = join(tempDir('alertgate-config-'), 'alertgate.config.yaml');
  writeFileSync(file, stringify(content));
  return file;
}

export async function ruleset(files: Record<string, unknown>): Promise<CompiledRuleSet> {
  return loadRulesOrThrow(writeRules(files));
}

export async function problemsOf(files: Record<string, unknown>) {
  const result = await loadRules(writeRules(files));
  if (result.ok) throw new Error('expected the rules to be invalid');
  return result.problems;
}

/**
 * A YAML "billion laughs": nine levels of nine aliases each, 9^9 strings once expanded. It parses in a
 * millisecond; building its value is what explodes (the yaml library refuses: "Excessive alias count").
 */
export const YAML_ALIAS_BOMB = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...'bcdefghi'.split('').map((x, i) => {
  const prev = 'abcdefghi'[i]!;
  return `${x}: &${x} [${Array(9).fill(`*${prev}`).join(',')}]`;
})].join('\n') + '\n';

/** A promote/suppress rule with the required metadata filled in. */
export function rule(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    id: 'r1',
    version: 1,
    title: 'Test rule',
    owner: 'soc',
    severity: 'high',
    category: 'other',
    decision: 'promote',
    conditions: { all: [] },
    ...overrides,
  };
}

/** A canonical input alert (what the canonical format accepts) with defaults. */
export function alert(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    time: '2026-11-20T10:00:00.000Z',
    source: 'suricata',
    name: 'ET SCAN test',
    severity: 'medium',
    category: 'recon',
    entities: { src_ip: '203.0.113.7', host: 'web-01' },
    tags: [],
    ...overrides,
  };
}

export function ndjson(records: readonly unknown[]): string {
  return records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
}

import { parseDecision, type DecisionRecord } from '../src/decide/decision-record.js';
import type { IncidentRecord } from '../src/incidents/index.js';
import { createNormalizer, type InputFormat } from '../src/normalize/index.js';
import type { DeadLetterRecord } from '../src/pipeline/dead-letter.js';
import { Pipeline } from '../src/pipeline/pipeline.js';

/** Runs the real pipeline over in-memory input lines; records (objects) are serialized as NDJSON lines. */
export function runPipeline(set: CompiledRuleSet, records: readonly unknown[], format: InputFormat = 'canonical') {
  const decisions: DecisionRecord[] = [];
  const incidents: IncidentRecord[] = [];
  const deadLetters: DeadLetterRecord[] = [];
  const pipeline = new Pipeline({
    ruleset: set,
    normalize: createNormalizer({ format }),
    sinks: { decision: (json) => decisions.push(parseDecision(json)), incident: (r) => incidents.push(r), deadLetter: (r) => deadLetters.push(r) },
  });
  pipeline.processBatch(records.map((r, i) => ({ line: i + 1, text: typeof r === 'string' ? r : JSON.stringify(r) })));
  pipeline.finish();
  return { decisions, incidents, deadLetters, counts: pipeline.counts };
}

/** `minutes` after 2026-11-20T10:00:00Z, as ISO. */
export function at(minutes: number): string {
  return new Date(Date.UTC(2026, 10, 20, 10, 0, 0) + minutes * 60_000).toISOString();
}

/** Calls a worker's API with a bearer token (and a JSON body): the status and the JSON answer. */
export async function callApi(url: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: await response.json() };
}
