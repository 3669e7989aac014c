import { describe, expect, it } from 'vitest';
import { CanonicalAlert } from '../../src/normalize/alert.js';
import type { JsonObject, AlertResult } from '../../src/normalize/formats/adapter.js';
import { genericFormat } from '../../src/normalize/formats/generic.js';
import { deterministicId } from '../../src/normalize/id.js';
import { loadMapping, parseMapping } from '../../src/normalize/mapping.js';

const suricata = genericFormat(await loadMapping('fixtures/mappings/suricata-eve.yaml'));
const wazuh = genericFormat(await loadMapping('fixtures/mappings/wazuh-alerts.yaml'));

const EVE = {
  timestamp: '2026-11-20T10:00:00.123456+0000',
  flow_id: 1234567890123456,
  in_iface: 'eth0',
  event_type: 'alert',
  src_ip: '203.0.113.9',
  src_port: 51234,
  dest_ip: '10.0.0.5',
  dest_port: 3306,
  proto: 'TCP',
  host: 'sensor-01',
  alert: {
    action: 'allowed',
    gid: 1,
    signature_id: 2010937,
    rev: 3,
    signature: 'ET POLICY Suspicious inbound to mySQL port 3306',
    category: 'Potentially Bad Traffic',
    severity: 2,
    metadata: { tag: ['SQL'] },
  },
};

const WAZUH = {
  timestamp: '2026-11-20T10:00:00.123+0000',
  rule: {
    level: 10,
    description: 'sshd: brute force trying to get access to the system. Authentication failed.',
    id: '5763',
    mitre: { id: ['T1110'], tactic: ['Credential Access'], technique: ['Brute Force'] },
    groups: ['syslog', 'sshd', 'authentication_failures'],
  },
  agent: { id: '001', name: 'web-01', ip: '10.0.0.5' },
  manager: { name: 'wazuh-manager' },
  id: '1795168800.12345',
  decoder: { name: 'sshd' },
  data: { srcip: '203.0.113.9', srcuser: 'root' },
  location: '/var/log/auth.log',
};

function alertOf(result: AlertResult) {
  if (!result.ok) throw new Error(`expected an alert, got: ${result.reason}`);
  return result.alert;
}

function reasonOf(result: AlertResult): string {
  if (result.ok) throw new Error('expected a reason, got an alert');
  return result.reason;
}

/** A generic adapter from mapping lines added to the minimal required ones. */
function withMapping(...lines: string[]) {
  const base = { time: 'time: ts', source: 'source: { const: test }', name: 'name: title', severity: 'severity: sev' };
  const fields = Object.fromEntries(Object.entries(base).map(([k, v]) => [k, lines.find((l) => l.startsWith(`${k}:`)) ?? v]));
  const rest = lines.filter((l) => !Object.keys(base).some((k) => l.startsWith(`${k}:`)));
  return genericFormat(parseMapping([...Object.values(fields), ...rest].join('\n'), 'test.yaml'));
}

const MINIMAL = { ts: '2026-11-20T10:00:00Z', title: 'x', sev: 'high' };

describe('generic format', () => {
  it('reads a Suricata EVE alert through the example mapping', () => {
    const line = JSON.stringify(EVE);
    const result = suricata.normalize(EVE, line);
    expect(result).toEqual({
      ok: true,
      format: 'generic',
      timeMs: Date.UTC(2026, 10, 20, 10, 0, 0, 123),
      alert: {
        id: deterministicId(line),
        time: '2026-11-20T10:00:00.123Z',
        source: 'suricata',
        name: 'ET POLICY Suspicious inbound to mySQL port 3306',
        severity: 'medium',
        severityOriginal: 2,
        category: 'Potentially Bad Traffic',
        entities: { src_ip: '203.0.113.9', dst_ip: '10.0.0.5', dst_port: '3306', sensor: 'sensor-01' },
        tags: ['SQL'],
        raw: EVE,
      },
    });
    expect(alertOf(result).raw).toBe(EVE);
    expect(CanonicalAlert.safeParse(alertOf(result)).success).toBe(true);
  });

  it('reads a Wazuh alert through the example mapping', () => {
    expect(alertOf(wazuh.normalize(WAZUH, JSON.stringify(WAZUH)))).toEqual({
      id: '1795168800.12345',
      time: '2026-11-20T10:00:00.123Z',
      source: 'wazuh',
      name: 'sshd: brute force trying to get access to the system. Authentication failed.',
      severity: 'high',
      severityOriginal: 10,
      category: 'Credential Access',
      entities: { host: 'web-01', host_ip: '10.0.0.5', src_ip: '203.0.113.9', user: 'root', rule_id: '5763' },
      tags: ['syslog', 'sshd', 'authentication_failures'],
      raw: WAZUH,
    });
  });

  it('leaves out entities that are absent and uses "other" for an absent category', () => {
    const { mitre: _, ...rule } = WAZUH.rule;
    const alert = alertOf(wazuh.normalize({ ...WAZUH, rule, data: {} }, ''));
    expect(alert.category).toBe('other');
    expect(alert.entities).toEqual({ host: 'web-01', host_ip: '10.0.0.5', rule_id: '5763' });
  });

  it('takes the first present path, with null counting as absent', () => {
    const adapter = withMapping('entities: { user: [a.user, b.user, c.user] }');
    const alert = alertOf(adapter.normalize({ ...MINIMAL, a: { user: null }, b: { user: 'bob' }, c: { user: 'carol' } }, ''));
    expect(alert.entities).toEqual({ user: 'bob' });
  });

  it('reads own properties only', () => {
    const adapter = withMapping('entities: { c: constructor, p: a.__proto__ }');
    expect(alertOf(adapter.normalize({ ...MINIMAL, a: {} }, '')).entities).toEqual({});
  });

  it('reads array elements by index', () => {
    const adapter = withMapping('category: cats.1');
    expect(alertOf(adapter.normalize({ ...MINIMAL, cats: ['a', 'b'] }, '')).category).toBe('b');
  });

  it('reads severity words and 0–10 scores when there is no map', () => {
    const adapter = withMapping();
    expect(alertOf(adapter.normalize({ ...MINIMAL, sev: 'Warning' }, ''))).toMatchObject({ severity: 'medium', severityOriginal: 'Warning' });
    expect(alertOf(adapter.normalize({ ...MINIMAL, sev: 9.5 }, ''))).toMatchObject({ severity: 'critical', severityOriginal: 9.5 });
  });

  it('gives a constant severity no original', () => {
    const adapter = withMapping('severity: { const: low }');
    expect(alertOf(adapter.normalize({ ts: MINIMAL.ts, title: 'x' }, ''))).toMatchObject({ severity: 'low', severityOriginal: null });
  });

  it('turns numbers and booleans into text for text fields and entities', () => {
    const adapter = withMapping('id: event_id', 'entities: { port: p, internal: i }');
    const alert = alertOf(adapter.normalize({ ...MINIMAL, title: 404, event_id: 77, p: 443, i: false }, ''));
    expect(alert).toMatchObject({ id: '77', name: '404', entities: { port: '443', internal: 'false' } });
  });

  it('gives every alert its own copy of constant tags', () => {
    const adapter = withMapping('tags: { const: [ids] }');
    const first = alertOf(adapter.normalize(MINIMAL, ''));
    first.tags.push('changed');
    expect(alertOf(adapter.normalize(MINIMAL, '')).tags).toEqual(['ids']);
  });

  it('reads one tag or a list of tags', () => {
    const adapter = withMapping('tags: labels');
    expect(alertOf(adapter.normalize({ ...MINIMAL, labels: 'one' }, '')).tags).toEqual(['one']);
    expect(alertOf(adapter.normalize({ ...MINIMAL, labels: ['a', 'b'] }, '')).tags).toEqual(['a', 'b']);
    expect(alertOf(adapter.normalize(MINIMAL, '')).tags).toEqual([]);
  });

  it('translates values through a map', () => {
    const adapter = withMapping('category: { path: cat, map: { "1": malware, "2": recon } }');
    expect(alertOf(adapter.normalize({ ...MINIMAL, cat: 2 }, '')).category).toBe('recon');
  });

  describe('value maps with ranges and a default', () => {
    const ecs = withMapping(
      'severity: { path: sev, map: { 0-21: low, 22-47: medium, 48-73: high, 74-100: critical }, default: medium }',
      'source: { path: module, default: ecs }',
    );

    it('reads a 0–100 score through four ranges', () => {
      expect([0, 21, 22, 47, 73, 74, 100].map((sev) => alertOf(ecs.normalize({ ...MINIMAL, sev }, '')).severity)).toEqual([
        'low', 'low', 'medium', 'medium', 'high', 'critical', 'critical',
      ]);
    });

    it('uses the default for a value the map does not hold, keeping the original', () => {
      expect(alertOf(ecs.normalize({ ...MINIMAL, sev: 250 }, ''))).toMatchObject({ severity: 'medium', severityOriginal: 250 });
    });

    it('uses the default when no path is present, with no original, and counts the field as absent', () => {
      const { sev: _, ...noSeverity } = MINIMAL;
      const result = ecs.normalize(noSeverity, '');
      expect(alertOf(result)).toMatchObject({ severity: 'medium', severityOriginal: null, source: 'ecs' });
      expect(result.ok && result.absent).toEqual(['source', 'severity']);
    });

    it('still rejects a value of the wrong type', () => {
      expect(reasonOf(ecs.normalize({ ...MINIMAL, sev: { score: 5 } }, ''))).toBe('/sev (severity): expected a severity word or number, got object');
    });

    it('without a default, names the value and the map keys', () => {
      const strict = withMapping('severity: { path: sev, map: { 0-21: low, 22-100: high } }');
      expect(reasonOf(strict.normalize({ ...MINIMAL, sev: 101 }, ''))).toBe(
        "/sev (severity): 101 is not in the mapping's severity.map (0-21, 22-100); add it there, or give a default",
      );
    });

    it('a default without a map stands in for an unrecognized severity word', () => {
      const words = withMapping('severity: { path: sev, default: low }');
      expect(alertOf(words.normalize({ ...MINIMAL, sev: 'page' }, ''))).toMatchObject({ severity: 'low', severityOriginal: 'page' });
    });

    it('lists the mapped fields an alert lacked, and only those', () => {
      const adapter = withMapping('id: event_id', 'category: cat', 'entities: { user: u, host: h, site: { const: dmz } }', 'tags: t');
      expect(adapter.normalize({ ...MINIMAL, h: 'web-1' }, '')).toMatchObject({ absent: ['id', 'category', 'entities.user', 'tags'] });
      expect(adapter.normalize({ ...MINIMAL, event_id: 'e', cat: 'c', u: 'bob', h: 'web-1', t: ['x'] }, '')).toMatchObject({ ok: true, absent: undefined });
    });
  });

  describe('reasons name the input path and the canonical field', () => {
    it.each<[string, JsonObject, string]>([
      ['a missing time', { ...EVE, timestamp: undefined }, '/timestamp (time): missing; every alert needs one, check the mapping\'s time paths'],
      ['a bad time', { ...EVE, timestamp: 'yesterday' }, '/timestamp (time): unparseable timestamp "yesterday"'],
      ['a severity not in the map', { ...EVE, alert: { ...EVE.alert, severity: 5 } }, "/alert/severity (severity): 5 is not in the mapping's severity.map (1, 2, 3, 4); add it there"],
      ['a severity of the wrong type', { ...EVE, alert: { ...EVE.alert, severity: [1] } }, '/alert/severity (severity): expected a severity word or number, got array'],
      ['a missing name', { ...EVE, alert: { ...EVE.alert, signature: null } }, '/alert/signature (name): missing'],
      ['an empty name', { ...EVE, alert: { ...EVE.alert, signature: '' } }, '/alert/signature (name): is empty'],
      ['a structured name', { ...EVE, alert: { ...EVE.alert, signature: { text: 'x' } } }, '/alert/signature (name): expected a string, number or boolean, got object'],
      ['a structured entity', { ...EVE, src_ip: ['10.0.0.1'] }, '/src_ip (entities.src_ip): expected a string, number or boolean, got array'],
      ['tags that are not strings', { ...EVE, alert: { ...EVE.alert, metadata: { tag: [1] } } }, '/alert/metadata/tag (tags): expected a tag string or a list of tag strings, got [1]'],
    ])('%s', (_, input, reason) => {
      expect(reasonOf(suricata.normalize(input, ''))).toContain(reason);
    });

    it('lists every path tried for a missing field', () => {
      const adapter = withMapping('time: [ts, "@timestamp"]');
      expect(reasonOf(adapter.normalize({ title: 'x', sev: 'high' }, ''))).toBe(
        "/ts or /@timestamp (time): missing; every alert needs one, check the mapping's time paths",
      );
    });

    it('rejects an unknown severity word, and an id that is too long', () => {
      expect(reasonOf(withMapping().normalize({ ...MINIMAL, sev: 'urgent' }, ''))).toContain('/sev (severity): unrecognized severity "urgent"');
      expect(reasonOf(withMapping('id: id').normalize({ ...MINIMAL, id: 'x'.repeat(513) }, ''))).toBe(
        '/id (id): an id must have 1 to 512 characters, this one has 513',
      );
    });

    it('rejects a value missing from a text map', () => {
      const adapter = withMapping('category: { path: cat, map: { "1": malware } }');
      expect(reasonOf(adapter.normalize({ ...MINIMAL, cat: 3 }, ''))).toBe(
        "/cat (category): 3 is not in the mapping's category.map (1); add it there, or give a default",
      );
    });
  });

  it('accepts any object (it is the fallback format)', () => {
    expect(suricata.sniff({})).toBe(true);
  });
});
