/**
 * A multi-tenant stream for the sharded-decider suites: soc-week with `entities.tenant` set (from the
 * host or, without one, the source address; a few alerts have neither and no tenant), and the
 * repository's rules with `entities.tenant` leading every window and incident group-by, so each rule
 * counts per tenant and sharding by tenant is exact.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { tempDir } from '../helpers.js';
import { RULES, SOC_WEEK } from './worker-harness.js';

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
