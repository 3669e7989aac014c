import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { TokenAuthority } from '../../src/http/auth.js';
import { tempDir } from '../helpers.js';

function configFile(content: unknown): string {
  const file = join(tempDir('alertgate-config-'), 'alertgate.config.yaml');
  writeFileSync(file, stringify(content));
  return file;
}

const SECRET = 'a-secret-token-5f3a9c';

describe('config: ledger, api, tuning, feedback', () => {
  it('has defaults: no ledger, no tokens, guardrails, auto-tune off', async () => {
    const config = await loadConfig(undefined, {});
    expect(config.ledger).toEqual({ flushIntervalMs: 1000 });
    expect(config.api).toEqual({ tokens: [], bodyLimitBytes: 65536 });
    expect(config.tuning).toEqual({
      minVerdicts: 5,
      maxStep: '50%',
      minRecall: 1,
      disableBelowPrecision: 0.05,
      since: '30d',
      exceptions: { minIncidents: 3, expiresAfter: '30d' },
      auto: { enabled: false, every: '1d', author: 'alertgate-auto-tune', mode: 'dry-run', maxChangePerDay: '50%', floors: {} },
    });
    expect(config.feedback).toEqual({});
  });

  it('refuses a ledger flush interval longer than a timer can wait (it would flush after 1 ms)', async () => {
    await expect(loadConfig(configFile({ ledger: { flushIntervalMs: 2_147_483_648 } }), {})).rejects.toThrow(/\/ledger\/flushIntervalMs: at most 2147483647 ms/);
    expect((await loadConfig(configFile({ ledger: { flushIntervalMs: 2_147_483_647 } }), {})).ledger.flushIntervalMs).toBe(2_147_483_647);
  });

  it('reads tokens from ALERTGATE_API_TOKENS as name:role:token, and the ledger and tuning switches from the environment', async () => {
    const config = await loadConfig(undefined, {
      ALERTGATE_API_TOKENS: `ana:analyst:${SECRET}, ops:engineer:${SECRET}-2`,
      ALERTGATE_LEDGER: 'postgres://alertgate@db:5432/soc',
      ALERTGATE_LEDGER_SCHEMA: 'alertgate',
      ALERTGATE_TUNING_AUTO: 'true',
      ALERTGATE_TUNING_AUTO_MODE: 'apply',
      ALERTGATE_METRICS_REQUIRE_TOKEN: '1',
    });
    expect(config.api.tokens).toEqual([
      { name: 'ana', role: 'analyst', token: SECRET },
      { name: 'ops', role: 'engineer', token: `${SECRET}-2` },
    ]);
    expect(config.ledger).toMatchObject({ url: 'postgres://alertgate@db:5432/soc', schema: 'alertgate' });
    expect(config.tuning.auto).toMatchObject({ enabled: true, mode: 'apply' });
    expect(config.metrics.requireToken).toBe(true);
  });

  it('names a bad token entry by position and field, never by its text', async () => {
    const short = loadConfig(undefined, { ALERTGATE_API_TOKENS: 'ana:analyst:short-secret' });
    await expect(short).rejects.toThrow(/ALERTGATE_API_TOKENS \(\/api\/tokens\/0\/token\): a token needs at least 16 characters/);
    await expect(short).rejects.not.toThrow(/short-secret/);
    const malformed = loadConfig(undefined, { ALERTGATE_API_TOKENS: `ana:analyst:${SECRET},${SECRET}` });
    await expect(malformed).rejects.toThrow('ALERTGATE_API_TOKENS: entry 2 is not name:role:token');
    await expect(malformed).rejects.not.toThrow(SECRET);
    await expect(loadConfig(undefined, { ALERTGATE_API_TOKENS: `ana:admin:${SECRET}` })).rejects.toThrow(/\/api\/tokens\/0\/role/);
    await expect(loadConfig(configFile({ api: { tokens: [{ name: 'a', role: 'viewer', token: SECRET }, { name: 'a', role: 'viewer', token: `${SECRET}x` }] } }), {})).rejects.toThrow(/\/api\/tokens\/1\/name: duplicate token name "a"/);
    await expect(loadConfig(configFile({ api: { tokens: [{ name: 'a', role: 'viewer' }] } }), {})).rejects.toThrow(/give either token or sha256/);
  });

  it('accepts a token by its SHA-256 only, so the file holds no secret', async () => {
    const sha256 = createHash('sha256').update(SECRET).digest('hex');
    const config = await loadConfig(configFile({ api: { tokens: [{ name: 'ana', role: 'analyst', sha256 }] } }), {});
    const authority = new TokenAuthority(config.api.tokens);
    expect(authority.authenticate(`Bearer ${SECRET}`)).toEqual({ ok: true, principal: { name: 'ana', role: 'analyst' } });
    expect(authority.authenticate(`Bearer ${SECRET}x`)).toEqual({ ok: false, reason: 'invalid' });
    expect(authority.authenticate('Basic abc')).toEqual({ ok: false, reason: 'missing' });
    expect(authority.authenticate(undefined)).toEqual({ ok: false, reason: 'missing' });
  });

  it('checks the tuning and feedback sections', async () => {
    await expect(loadConfig(configFile({ tuning: { maxStep: '50' } }), {})).rejects.toThrow(/\/tuning\/maxStep: expected a percentage such as 50%/);
    await expect(loadConfig(configFile({ tuning: { minRecall: 1.5 } }), {})).rejects.toThrow(/\/tuning\/minRecall/);
    await expect(loadConfig(configFile({ tuning: { auto: { every: '1 day' } } }), {})).rejects.toThrow(/\/tuning\/auto\/every/);
    await expect(loadConfig(configFile({ ledger: { schema: 'Bad-Name' } }), {})).rejects.toThrow(/\/ledger\/schema/);
    expect((await loadConfig(configFile({ feedback: { kafka: { topic: 'soc.verdicts' } } }), {})).feedback).toEqual({ kafka: { topic: 'soc.verdicts', groupId: 'alertgate-feedback' } });
  });

  it('bounds the durations it reads: auto-tune every 30d (a timer Node fires after 1 ms), a tuning since past 400d, durations too large to count', async () => {
    await expect(loadConfig(configFile({ tuning: { auto: { every: '30d' } } }), {})).rejects.toThrow('/tuning/auto/every: invalid duration "30d": longer than the maximum of 24d');
    expect((await loadConfig(configFile({ tuning: { auto: { every: '24d' } } }), {})).tuning.auto.every).toBe('24d');
    await expect(loadConfig(configFile({ tuning: { since: '99999999d' } }), {})).rejects.toThrow('/tuning/since: invalid duration "99999999d": longer than the maximum of 400d');
    await expect(loadConfig(configFile({ metrics: { precisionHorizon: '99999999999999999d' } }), {})).rejects.toThrow('/metrics/precisionHorizon: invalid duration "99999999999999999d": too large to count in milliseconds');
  });
});
