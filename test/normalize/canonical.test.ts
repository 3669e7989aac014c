import { describe, expect, it } from 'vitest';
import { CanonicalAlert } from '../../src/normalize/alert.js';
import type { JsonObject, AlertResult } from '../../src/normalize/formats/adapter.js';
import { canonicalFormat } from '../../src/normalize/formats/canonical.js';
import { deterministicId } from '../../src/normalize/id.js';

const FULL = {
  id: 'a-1',
  time: '2026-11-20T10:00:00.000Z',
  source: 'suricata',
  name: 'ET POLICY Suspicious inbound to mySQL port 3306',
  severity: 'high',
  category: 'network',
  entities: { host: 'web-01', src_ip: '10.1.2.3' },
  tags: ['ids'],
};

function normalize(obj: JsonObject): AlertResult {
  return canonicalFormat.normalize(obj, JSON.stringify(obj));
}

function alertOf(obj: JsonObject) {
  const result = normalize(obj);
  if (!result.ok) throw new Error(`expected an alert, got: ${result.reason}`);
  return result;
}

function reasonOf(obj: JsonObject): string {
  const result = normalize(obj);
  if (result.ok) throw new Error('expected a reason, got an alert');
  return result.reason;
}

describe('canonical format', () => {
  it('keeps a complete canonical alert as it is, with the input as raw (not a copy)', () => {
    const input = structuredClone(FULL);
    const { alert, timeMs } = alertOf(input);
    expect(alert).toEqual({ ...FULL, severityOriginal: 'high', raw: FULL });
    expect(alert.raw).toBe(input);
    expect(timeMs).toBe(Date.UTC(2026, 10, 20, 10));
    expect(CanonicalAlert.safeParse(alert).success).toBe(true);
  });

  it('fills what may be left out: id from the line, category "other", no entities, no tags', () => {
    const input = { time: FULL.time, source: 's', name: 'n', severity: 'low' };
    const line = JSON.stringify(input);
    const result = canonicalFormat.normalize(input, line);
    expect(result.ok && result.alert).toMatchObject({ id: deterministicId(line), category: 'other', entities: {}, tags: [] });
  });

  it('treats null optional fields as absent', () => {
    const { alert } = alertOf({ ...FULL, id: null, category: null, entities: null, tags: null });
    expect(alert).toMatchObject({ category: 'other', entities: {}, tags: [] });
    expect(alert.id).toMatch(/^h-/);
  });

  it('normalizes epoch and offset times to ISO UTC', () => {
    expect(alertOf({ ...FULL, time: 1795168800 }).alert.time).toBe('2026-11-20T10:00:00.000Z');
    expect(alertOf({ ...FULL, time: '2026-11-20T11:00:00+01:00' }).alert.time).toBe('2026-11-20T10:00:00.000Z');
  });

  it('normalizes severity words and scores, keeping the original', () => {
    expect(alertOf({ ...FULL, severity: 'Warning' }).alert).toMatchObject({ severity: 'medium', severityOriginal: 'Warning' });
    expect(alertOf({ ...FULL, severity: 7.5 }).alert).toMatchObject({ severity: 'high', severityOriginal: 7.5 });
  });

  it('turns number and boolean entity values into strings and drops null ones', () => {
    const { alert } = alertOf({ ...FULL, entities: { dst_port: 443, internal: true, user: null, host: 'h' } });
    expect(alert.entities).toEqual({ dst_port: '443', internal: 'true', host: 'h' });
  });

  it('keeps an entity named "__proto__" as an entity (found by the read-back property)', () => {
    const { alert } = alertOf(JSON.parse('{"time":"2026-11-20T10:00:00Z","source":"s","name":"n","severity":"low","entities":{"__proto__":"x","host":"h"}}') as JsonObject);
    expect(Object.keys(alert.entities)).toEqual(['__proto__', 'host']);
    expect(Object.getPrototypeOf(alert.entities)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(alert.entities))).toEqual(JSON.parse('{"__proto__":"x","host":"h"}'));
  });

  it('gives the alert its own entities and tags, so changing them leaves raw untouched', () => {
    const input = structuredClone(FULL);
    const { alert } = alertOf(input);
    alert.entities.extra = 'x';
    alert.tags.push('y');
    expect(input.entities).toEqual(FULL.entities);
    expect(input.tags).toEqual(FULL.tags);
  });

  it('reads its own output back unchanged, keeping the original severity and raw', () => {
    const first = alertOf({ ...FULL, id: undefined, severity: 8, time: 1795168800 }).alert;
    const again = alertOf(JSON.parse(JSON.stringify(first)) as JsonObject).alert;
    expect(again).toEqual(first);
  });

  describe('reasons name the field', () => {
    it.each<[string, JsonObject, string]>([
      ['an unknown field', { ...FULL, sevrity: 'high' }, '/sevrity: unknown key; allowed keys are id, time, source, name, severity,'],
      ['a missing field', { ...FULL, name: undefined }, '/name: missing; this key is required'],
      ['a wrong type', { ...FULL, source: 42 }, '/source: expected string, received number'],
      ['an unreadable time', { ...FULL, time: 'yesterday' }, '/time: unparseable timestamp "yesterday"'],
      ['a time of the wrong type', { ...FULL, time: true }, '/time: expected an ISO-8601 string or epoch seconds or milliseconds'],
      ['an unknown severity', { ...FULL, severity: 'urgent' }, '/severity: unrecognized severity "urgent"'],
      ['a structured entity', { ...FULL, entities: { host: { name: 'h' } } }, '/entities/host: expected a string, number or boolean'],
      ['a tag that is not a string', { ...FULL, tags: ['a', 2] }, '/tags/1: expected string, received number'],
      ['an empty name', { ...FULL, name: '' }, '/name: '],
    ])('%s', (_, input, reason) => {
      expect(reasonOf(input)).toContain(reason);
    });

    it('lists every problem, and suggests the generic format for foreign fields', () => {
      const reason = reasonOf({ ...FULL, a: 1, b: 2, name: 5 });
      expect(reason).toMatch(/^\/name: .+; \/a: unknown key; .+; \/b: unknown key; /);
      expect(reason).toContain('for other shapes use --format generic with a --map mapping file');
    });
  });

  it('sniffs objects with time, source, name and severity', () => {
    expect(canonicalFormat.sniff(FULL)).toBe(true);
    expect(canonicalFormat.sniff({ ...FULL, severity: undefined })).toBe(false);
    expect(canonicalFormat.sniff({ timestamp: 1, alert: {} })).toBe(false);
  });
});
