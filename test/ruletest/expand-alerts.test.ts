import { describe, expect, it } from 'vitest';
import { expandAlerts } from '../../src/ruletest/expand-alerts.js';
import { Scenario } from '../../src/ruletest/scenario-schema.js';

const scenario = (fields: Record<string, unknown>) =>
  Scenario.parse({ name: 's', expect: { decisions: [{ at: 1, decision: 'pass' }] }, ...fields });

const expanded = (fields: Record<string, unknown>): Record<string, unknown>[] => {
  const result = expandAlerts(scenario(fields));
  if (!result.ok) throw new Error(result.problem.message);
  return result.alerts.map((a) => ({ ...(JSON.parse(a.text) as Record<string, unknown>), n: a.n, id: a.id }));
};

describe('expandAlerts', () => {
  it('expands repeat blocks: times advance by `every`, ids get -1 … -N, {{n}} becomes the copy number', () => {
    const alerts = expanded({
      alerts: [{ repeat: 3, every: '30s', alert: { id: 'scan', time: '2026-11-20T10:00:00Z', entities: { dst_port: '{{n}}', tag: 'p{{n}}x' } } }],
    });
    expect(alerts.map((a) => [a.n, a.id, a.time, a.entities])).toEqual([
      [1, 'scan-1', '2026-11-20T10:00:00.000Z', { dst_port: '1', tag: 'p1x' }],
      [2, 'scan-2', '2026-11-20T10:00:30.000Z', { dst_port: '2', tag: 'p2x' }],
      [3, 'scan-3', '2026-11-20T10:01:00.000Z', { dst_port: '3', tag: 'p3x' }],
    ]);
  });

  it('resolves +durations from the previous alert (the last copy of a repeat), and no time as the previous time', () => {
    const alerts = expanded({
      start: '2026-11-20T10:00:00Z',
      alerts: [{}, { repeat: 2, every: '1m', alert: { time: '+10s' } }, { time: '+1h' }, {}],
    });
    expect(alerts.map((a) => a.time)).toEqual([
      '2026-11-20T10:00:00.000Z',
      '2026-11-20T10:00:10.000Z',
      '2026-11-20T10:01:10.000Z',
      '2026-11-20T11:01:10.000Z',
      '2026-11-20T11:01:10.000Z',
    ]);
  });

  it('keeps a single alert time as written (epoch or unparseable), so scenarios exercise normalization', () => {
    const alerts = expanded({ alerts: [{ time: 1795168800 }, { time: 'yesterday' }, { time: '+1s' }] });
    expect(alerts.map((a) => a.time)).toEqual([1795168800, 'yesterday', '2026-11-20T10:00:01.000Z']);
  });

  it('numbers alerts without an id as alert-<n>, and merges defaults under each alert (entities key by key)', () => {
    const alerts = expanded({
      start: '2026-11-20T10:00:00Z',
      defaults: { source: 'wazuh', severity: 'low', entities: { host: 'h1', user: 'root' } },
      alerts: [{ entities: { user: 'admin' } }, { id: 'named', severity: 'high' }],
    });
    expect(alerts[0]).toMatchObject({ id: 'alert-1', source: 'wazuh', severity: 'low', entities: { host: 'h1', user: 'admin' } });
    expect(alerts[1]).toMatchObject({ id: 'named', severity: 'high', entities: { host: 'h1', user: 'root' } });
  });

  it('reports a relative or missing first time at the item that needs it', () => {
    const result = expandAlerts(scenario({ alerts: [{ repeat: 2, every: '1s', alert: { time: '+5m' } }] }));
    expect(result).toEqual({
      ok: false,
      problem: { path: ['alerts', 0, 'alert', 'time'], message: expect.stringMatching(/first alert needs an absolute time/) },
    });
  });
});
