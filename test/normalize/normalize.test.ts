import { describe, expect, it } from 'vitest';
import { loadMapping } from '../../src/normalize/mapping.js';
import { createNormalizer } from '../../src/normalize/normalize.js';

const mapping = await loadMapping('fixtures/mappings/suricata-eve.yaml');

const CANONICAL = JSON.stringify({ time: '2026-11-20T10:00:00.000Z', source: 's', name: 'n', severity: 'high' });
const EVE = JSON.stringify({
  timestamp: '2026-11-20T10:00:00.000000+0000',
  src_ip: '203.0.113.9',
  alert: { signature: 'ET SCAN', category: 'Attempted Information Leak', severity: 3 },
});

function reasonOf(result: ReturnType<ReturnType<typeof createNormalizer>>): string {
  if (result.ok !== false) throw new Error('expected a reason, got an alert');
  return result.reason;
}

describe('createNormalizer', () => {
  it('reads canonical input in auto mode, with or without a mapping', () => {
    for (const normalize of [createNormalizer({ format: 'auto' }), createNormalizer({ format: 'auto', mapping })]) {
      const result = normalize(CANONICAL, 1);
      expect(result.ok === true && result.alert.source).toBe('s');
    }
  });

  it('reads other objects through the mapping in auto mode', () => {
    const result = createNormalizer({ format: 'auto', mapping })(EVE, 1);
    expect(result.ok === true && result.alert).toMatchObject({ source: 'suricata', severity: 'low', name: 'ET SCAN' });
  });

  it('in auto mode without a mapping, says how to read objects that are not canonical', () => {
    expect(reasonOf(createNormalizer({ format: 'auto' })(EVE, 1))).toBe(
      'not a canonical alert (it lacks time, source, name or severity), nor one of alertmanager, ocsf, ecs, suricata-eve, wazuh, ' +
        'falco, zeek-notice, sigma-match (docs/formats.md says how each is recognized); name the format with --format, ' +
        'or for other shapes pass --format generic --map <mapping.yaml>',
    );
  });

  it('uses only the mapping in generic mode, even for canonical-looking input', () => {
    const result = createNormalizer({ format: 'generic', mapping })(CANONICAL, 1);
    expect(reasonOf(result)).toMatch(/^\/timestamp \(time\): missing/);
  });

  it('holds canonical mode to the canonical schema', () => {
    expect(reasonOf(createNormalizer({ format: 'canonical' })(EVE, 1))).toMatch(/^\/time: missing; this key is required; /);
  });

  it('refuses generic mode without a mapping when it is created', () => {
    expect(() => createNormalizer({ format: 'generic' })).toThrow('--format generic needs a mapping file: pass --map <mapping.yaml>');
  });

  it.each([
    ['{"time": ', /^invalid JSON: /],
    ['[1, 2]', /^expected a JSON object, got array$/],
    ['"text"', /^expected a JSON object, got string$/],
    ['null', /^expected a JSON object, got null$/],
    ['42', /^expected a JSON object, got number$/],
  ])('gives a reason for %s', (text, reason) => {
    expect(reasonOf(createNormalizer({ format: 'auto', mapping })(text, 7))).toMatch(reason);
  });

  it('derives the id of an alert without one from its line, so the same line gets the same id', () => {
    const normalize = createNormalizer({ format: 'auto', mapping });
    const first = normalize(EVE, 1);
    const again = normalize(EVE, 99);
    expect(first.ok === true && again.ok === true && first.alert.id === again.alert.id).toBe(true);
  });
});
