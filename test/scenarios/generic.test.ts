import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IncidentRecord } from '../../src/incidents/index.js';
import { createNormalizer, loadMapping } from '../../src/normalize/index.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import { DEFAULT_MAX_LINE_BYTES, readLines } from '../../src/source/index.js';

const ROOT = join(import.meta.dirname, '../..');

/** Replays a fixtures/generic file with its mapping, as `replay --format generic --map ...` does. */
async function replayGeneric(input: string, mapping: string) {
  const incidents: IncidentRecord[] = [];
  const pipeline = new Pipeline({
    ruleset: await loadRulesOrThrow(join(ROOT, 'rules')),
    normalize: createNormalizer({ format: 'generic', mapping: await loadMapping(join(ROOT, mapping)) }),
    sinks: { decision: () => {}, incident: (r) => incidents.push(r), deadLetter: () => {} },
  });
  for await (const batch of readLines(createReadStream(join(ROOT, input)), { maxLineBytes: DEFAULT_MAX_LINE_BYTES })) pipeline.processBatch(batch);
  pipeline.finish();
  return { counts: pipeline.counts, incidents };
}

describe('fixtures/generic replayed with their mapping files', () => {
  it('reads Suricata EVE records and promotes the SQL injection burst', async () => {
    const { counts, incidents } = await replayGeneric('fixtures/generic/suricata-eve.ndjson', 'fixtures/mappings/suricata-eve.yaml');
    expect(counts).toMatchObject({ alerts: 104, invalid: 0 });
    expect(incidents).toContainEqual(
      expect.objectContaining({
        ruleId: 'signature-burst',
        groupKey: { name: 'ET WEB_SERVER Possible SQL Injection Attempt UNION SELECT', 'entities.dst_ip': '10.0.1.12' },
      }),
    );
  });

  it('reads Wazuh alerts and sees the SSH brute force by its authentication_failed group', async () => {
    const { counts, incidents } = await replayGeneric('fixtures/generic/wazuh-alerts.ndjson', 'fixtures/mappings/wazuh-alerts.yaml');
    expect(counts).toMatchObject({ alerts: 321, invalid: 0, passed: 19 });
    expect(incidents.map((i) => [i.ruleId, i.groupKey, i.alertCount])).toEqual([
      ['auth-brute-force', { 'entities.src_ip': '203.0.113.66' }, 301],
      ['high-severity-alert', { 'entities.host': 'bastion-01' }, 1],
    ]);
  });
});
