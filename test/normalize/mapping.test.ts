import { describe, expect, it } from 'vitest';
import { loadMapping, parseMapping } from '../../src/normalize/mapping.js';

const MINIMAL = 'time: timestamp\nsource: { const: ids }\nname: alert.signature\nseverity: alert.severity\n';

/** The message parseMapping throws, split into its lines. */
function problems(text: string, file = 'm.yaml'): string[] {
  try {
    parseMapping(text, file);
  } catch (err) {
    return (err as Error).message.split('\n');
  }
  throw new Error('expected the mapping to be rejected');
}

describe('parseMapping', () => {
  it('accepts the shorthand and the long forms of a field', () => {
    const mapping = parseMapping(
      [
        'id: [alert_id, event.id]',
        'time: { path: timestamp }',
        'source: { const: ids }',
        'name: alert.signature',
        'severity: { path: alert.severity, map: { 1: high, 2: low } }',
        'category: { path: alert.category, map: { "A Network Trojan was detected": malware } }',
        'entities: { src_ip: src_ip, site: { const: dmz } }',
        'tags: { const: [ids, network] }',
      ].join('\n'),
      'm.yaml',
    );
    expect(mapping).toEqual({
      id: ['alert_id', 'event.id'],
      time: { path: 'timestamp' },
      source: { const: 'ids' },
      name: 'alert.signature',
      severity: { path: 'alert.severity', map: { 1: 'high', 2: 'low' } },
      category: { path: 'alert.category', map: { 'A Network Trojan was detected': 'malware' } },
      entities: { src_ip: 'src_ip', site: { const: 'dmz' } },
      tags: { const: ['ids', 'network'] },
    });
  });

  it('needs only time, source, name and severity', () => {
    expect(parseMapping(MINIMAL, 'm.yaml')).toEqual({
      time: 'timestamp',
      source: { const: 'ids' },
      name: 'alert.signature',
      severity: 'alert.severity',
    });
  });

  it('reports every problem as file: pointer: message (line N), in file order', () => {
    const text = [
      'source: { const: suricata }', // 1
      'time: 5', // 2
      'nmae: alert.signature', // 3
      'severity:', // 4
      '  path: alert.severity', // 5
      '  map: { 1: high, 2: urgent }', // 6
      'entities:', // 7
      '  src_ip: { path: src_ip, const: x }', // 8
      '  dst_ip: "a..b"', // 9
      'tags: { const: [ids, 3] }', // 10
    ].join('\n');
    expect(problems(text, 'eve.yaml')).toEqual([
      'eve.yaml: /name: missing; this key is required (line 1)',
      'eve.yaml: /time: expected a field path such as alert.signature, or a list of them (the first present wins), or {path} (line 2)',
      'eve.yaml: /nmae: unknown key; allowed keys are id, time, source, name, severity, category, entities, tags (line 3)',
      'eve.yaml: /severity/map/2: expected one of "info"|"low"|"medium"|"high"|"critical" (line 6)',
      'eve.yaml: /entities/src_ip: give either path (read from the input) or const (the same for every alert) (line 8)',
      'eve.yaml: /entities/dst_ip: empty key at character 3; expected a field path such as alert.signature, or output_fields["proc.name"] for a key that contains dots (line 9)',
      'eve.yaml: /tags/const/1: expected string, received number (line 10)',
    ]);
  });

  it('points at the key of a nested unknown key, in block style', () => {
    expect(problems(`${MINIMAL}category:\n  path: alert.category\n  mapp:\n    a: b\n`)).toEqual([
      'm.yaml: /category/mapp: unknown key; allowed keys are path, map, default, const (line 7)',
    ]);
  });

  it('rejects map with const, and a field with neither path nor const', () => {
    expect(problems(`${MINIMAL}category: { const: x, map: { a: b } }\nentities:\n  user: {}\n`)).toEqual([
      'm.yaml: /category: map and default translate values read from path; with const, write the final value (line 5)',
      'm.yaml: /entities/user: give either path (read from the input) or const (the same for every alert) (line 7)',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problems('time: [a,\nsource: x\n')).toEqual([
      expect.stringMatching(/^m\.yaml: Flow sequence .* \(line 2\)$/),
    ]);
  });

  it('rejects duplicate keys', () => {
    expect(problems(`${MINIMAL}name: other\n`)).toEqual([expect.stringMatching(/^m\.yaml: Map keys must be unique \(line 5\)$/)]);
  });

  it('rejects an empty file and a file that is not a mapping', () => {
    expect(problems('')).toEqual(['m.yaml: /: expected object, received null (line 1)']);
    expect(problems('- time\n')).toEqual(['m.yaml: /: expected object, received array (line 1)']);
  });
});

describe('value maps: ranges and a default', () => {
  it('accepts ranges, exact keys and a default', () => {
    const mapping = parseMapping(`${MINIMAL.replace('severity: alert.severity', 'severity:\n  path: event.severity\n  map: { 0-21: low, 22-47: medium, 48-73: high, 74-100: critical }\n  default: medium')}`, 'm.yaml');
    expect(mapping.severity).toEqual({
      path: 'event.severity',
      map: { '0-21': 'low', '22-47': 'medium', '48-73': 'high', '74-100': 'critical' },
      default: 'medium',
    });
  });

  it('names overlapping ranges and bad bounds at their key, with the line', () => {
    const text = [
      'time: timestamp', // 1
      'source: { const: ids }', // 2
      'name: alert.signature', // 3
      'severity:', // 4
      '  path: event.severity', // 5
      '  map:', // 6
      '    0-50: low', // 7
      '    40-100: high', // 8
      '    9-3: info', // 9
      '  default: urgent', // 10
      'category: { const: x, default: y }', // 11
    ].join('\n');
    expect(problems(text, 'ecs.yaml')).toEqual([
      'ecs.yaml: /severity/map/40-100: overlaps the range 0-50 (both hold 40 to 50); ranges must not overlap (line 8)',
      "ecs.yaml: /severity/map/9-3: the range's low bound 9 is above its high bound 3; write 3-9 (line 9)",
      'ecs.yaml: /severity/default: expected one of "info"|"low"|"medium"|"high"|"critical" (line 10)',
      'ecs.yaml: /category: map and default translate values read from path; with const, write the final value (line 11)',
    ]);
  });
});

describe('loadMapping', () => {
  it('loads the example mappings', async () => {
    await expect(loadMapping('fixtures/mappings/suricata-eve.yaml')).resolves.toMatchObject({ source: { const: 'suricata' } });
    await expect(loadMapping('fixtures/mappings/wazuh-alerts.yaml')).resolves.toMatchObject({ source: { const: 'wazuh' } });
  });

  it('names the file and the fix when it cannot be read', async () => {
    await expect(loadMapping('no/such/mapping.yaml')).rejects.toThrow(
      'no/such/mapping.yaml: cannot read the mapping file (ENOENT); check the --map path',
    );
  });
});
