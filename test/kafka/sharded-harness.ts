/**
 * Helpers for the sharded-decider suites: a multi-tenant stream (soc-week with `entities.tenant` set
 * from the host or, without one, the source address; a few alerts have neither and no tenant), the
 * repository's rules with `entities.tenant` leading every window and incident group-by (so each rule
 * counts per tenant and sharding by tenant is exact), and a sharded worker config over them.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { tempDir } from '../helpers.js';
import { createTopic, uniqueGroup, uniqueTopic } from './broker.js';
import { incidentsById, produceCli, replay, RULES, SOC_WEEK, uniqueOutputs, writeWorkerConfig, type WorkerProcess } from './worker-harness.js';

export const TENANTS = 8;
export const SHARD_BY = ['entities.tenant'];

/** The tenant of a soc-week alert: a stable function of its host, else its source address. */
export function tenantOf(entities: Record<string, string> | undefined): string | undefined {
  const by = entities?.host ?? entities?.src_ip;
  if (by === undefined) return undefined;
  let h = 0;
  for (const c of by) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `tenant-${h % TENANTS}`;
}

/** soc-week's lines with tenants (lines that are not JSON objects are kept as they are: dead letters). */
export function tenantLines(): string[] {
  return readFileSync(SOC_WEEK, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      let alert: { entities?: Record<string, string> };
      try {
        alert = JSON.parse(line) as typeof alert;
      } catch {
        return line;
      }
      if (alert === null || typeof alert !== 'object' || Array.isArray(alert)) return line;
      const tenant = tenantOf(alert.entities);
      return tenant === undefined ? line : JSON.stringify({ ...alert, entities: { ...alert.entities, tenant } });
    });
}

/** The tenant-annotated stream as an NDJSON file. */
export function tenantFile(): string {
  const file = join(tempDir('alertgate-tenants-'), 'tenants.ndjson');
  writeFileSync(file, `${tenantLines().join('\n')}\n`);
  return file;
}

/** The repository's rules, each grouping by tenant first. */
export function tenantRules(): string {
  const dir = tempDir('alertgate-tenant-rules-');
  for (const name of readdirSync(RULES).filter((n) => n.endsWith('.yaml'))) {
    const rule = parse(readFileSync(join(RULES, name), 'utf8')) as { window?: { groupBy?: string[] }; incident?: { groupBy?: string[] } };
    if (rule.window?.groupBy) rule.window.groupBy = ['entities.tenant', ...rule.window.groupBy];
    if (rule.incident?.groupBy) rule.incident.groupBy = ['entities.tenant', ...rule.incident.groupBy];
    writeFileSync(join(dir, name), stringify(rule));
  }
  return dir;
}

export const SHARDS = 12;

/**
 * A multi-tenant stream (soc-week with tenants, rules grouping by tenant) on one input partition, so
 * every shard's records are in the stream's order; cases merge nothing across incidents (a case joins
 * incidents by host, user or address, which tenants can share and shards cannot).
 */
export async function setUp(name: string, consumer: Record<string, unknown> = {}, state?: Record<string, unknown>) {
  const input = await createTopic(uniqueTopic(`${name}-alerts`), 1);
  const file = tenantFile();
  const rules = tenantRules();
  const outputs = uniqueOutputs(name);
  const groupId = uniqueGroup(name);
  const config = writeWorkerConfig({
    input: [input],
    outputs,
    groupId,
    rules,
    consumer,
    ...(state ? { state } : {}),
    extra: { cases: { mergeBy: [] } },
    kafka: { shardBy: SHARD_BY, shardPartitions: SHARDS },
  });
  // One pipeline over the whole stream, with the same rules and cases.
  const expected = replay(file, rules, ['--config', config]);
  // The stream in parts (consecutive lines), produced as the test goes.
  const produce = async (from: number, to: number) => {
    const part = join(tempDir('alertgate-part-'), 'part.ndjson');
    writeFileSync(part, `${tenantLines().slice(from, to).join('\n')}\n`);
    await produceCli(['--input', part, '--topic', input]);
  };
  return { input, outputs, groupId, config, expected, expectedIncidents: incidentsById(expected.incidents), produce, lines: tenantLines().length };
}

/** Resolves once every worker decides at least one shard: the group has settled with all of them. */
export async function settled(workers: readonly WorkerProcess[]): Promise<void> {
  await Promise.all(workers.map((w) => w.waitForLog((l) => l.msg === 'took over the input partitions', 30_000)));
}

/** The shards a worker took over (each decider logs it with its shard). */
export function shardsOf(worker: WorkerProcess): number[] {
  return worker.logs.filter((l) => l.msg === 'took over the input partitions').map((l) => Number(l.shard));
}
