import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { tempDir } from '../helpers.js';

function configFile(content: unknown): string {
  const file = join(tempDir('alertgate-config-'), 'alertgate.config.yaml');
  writeFileSync(file, stringify(content));
  return file;
}

describe('config: metrics and log sections', () => {
  it('fills in every default', async () => {
    const config = await loadConfig(undefined, {});
    expect(config.metrics).toEqual({ precisionHorizon: '30d', sources: [], maxFirstSeenSources: 20, requireToken: false });
    expect(config.log).toEqual({ level: 'info', redact: [], audit: { decisions: 'off' } });
  });

  it('reads the file and lets ALERTGATE_* variables override it', async () => {
    const file = configFile({
      metrics: { precisionHorizon: '7d', sources: ['suricata', 'crowdstrike'], maxFirstSeenSources: 5 },
      log: { level: 'warn', redact: ['outputs.decisions', 'req.headers["x-api-key"]'], audit: { decisions: 'promoted' } },
    });
    const config = await loadConfig(file, { ALERTGATE_LOG_AUDIT_DECISIONS: 'all', ALERTGATE_METRICS_SOURCES: 'zeek, wazuh', ALERTGATE_METRICS_PRECISION_HORIZON: '90d' });
    expect(config.metrics).toEqual({ precisionHorizon: '90d', sources: ['zeek', 'wazuh'], maxFirstSeenSources: 5, requireToken: false });
    expect(config.log).toEqual({ level: 'warn', redact: ['outputs.decisions', 'req.headers["x-api-key"]'], audit: { decisions: 'all' } });
  });

  it('names the field of an invalid value', async () => {
    await expect(loadConfig(configFile({ log: { redact: ['a..b'] } }), {})).rejects.toThrow(/\/log\/redact\/0: not a redaction path/);
    await expect(loadConfig(configFile({ log: { audit: { decisions: 'some' } } }), {})).rejects.toThrow(/\/log\/audit\/decisions: /);
    await expect(loadConfig(configFile({ metrics: { precisionHorizon: '30 days' } }), {})).rejects.toThrow(/\/metrics\/precisionHorizon: expected a duration/);
    await expect(loadConfig(configFile({ metrics: { sources: ['has spaces'] } }), {})).rejects.toThrow(/\/metrics\/sources\/0: expected a source name/);
    await expect(loadConfig(undefined, { ALERTGATE_METRICS_MAX_FIRST_SEEN_SOURCES: '-1' })).rejects.toThrow(/ALERTGATE_METRICS_MAX_FIRST_SEEN_SOURCES: /);
  });

  it('refuses metrics.requireToken without API tokens to check, rather than refusing every scrape; takes it with tokens, on Kafka too', async () => {
    await expect(loadConfig(configFile({ metrics: { requireToken: true } }), {})).rejects.toThrow(/\/metrics\/requireToken: needs API tokens/);
    await expect(loadConfig(undefined, { ALERTGATE_METRICS_REQUIRE_TOKEN: 'true' })).rejects.toThrow(/ALERTGATE_METRICS_REQUIRE_TOKEN: needs API tokens/);
    const config = await loadConfig(undefined, { ALERTGATE_METRICS_REQUIRE_TOKEN: 'true', ALERTGATE_API_TOKENS: 'prom:viewer:scrape-token-0123456789' });
    expect(config.metrics.requireToken).toBe(true);
    // The Kafka worker serves the same API and checks the same tokens.
    const kafka = await loadConfig(undefined, { ALERTGATE_METRICS_REQUIRE_TOKEN: 'true', ALERTGATE_API_TOKENS: 'prom:viewer:scrape-token-0123456789', ALERTGATE_KAFKA_BROKERS: 'k:9092', ALERTGATE_KAFKA_INPUT_TOPICS: 'alerts' });
    expect(kafka.metrics.requireToken).toBe(true);
  });
});
