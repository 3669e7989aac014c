import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CanonicalAlert } from '../../src/normalize/alert.js';
import type { AlertResult, JsonObject, NormalizeResult } from '../../src/normalize/formats/adapter.js';
import { canonicalFormat } from '../../src/normalize/formats/canonical.js';
import { deterministicId } from '../../src/normalize/id.js';
import { BUILTIN_FORMATS, createNormalizer } from '../../src/normalize/normalize.js';
import { ALERTMANAGER_ALERT_MAPPING } from '../../src/normalize/formats/alertmanager.js';
import { ECS_MAPPING } from '../../src/normalize/formats/ecs.js';
import { FALCO_MAPPING } from '../../src/normalize/formats/falco.js';
import { OCSF_MAPPING } from '../../src/normalize/formats/ocsf.js';
import { SIGMA_MATCH_MAPPING } from '../../src/normalize/formats/sigma-match.js';
import { SURICATA_EVE_MAPPING } from '../../src/normalize/formats/suricata-eve.js';
import { WAZUH_MAPPING } from '../../src/normalize/formats/wazuh.js';
import { ZEEK_NOTICE_MAPPING } from '../../src/normalize/formats/zeek-notice.js';
import { Mapping } from '../../src/normalize/mapping.js';
import { parse } from 'yaml';

const ROOT = join(import.meta.dirname, '../..');
const SNIFFERS = [canonicalFormat, ...BUILTIN_FORMATS];

function fixture(format: string): { text: string; record: JsonObject }[] {
  return readFileSync(join(ROOT, 'fixtures/formats', `${format}.ndjson`), 'utf8')
    .trim()
    .split('\n')
    .map((text) => ({ text, record: JSON.parse(text) as JsonObject }));
}

/** The alerts a record gives (one, or one per element), failing the test on a dead letter. */
function alertsOf(result: NormalizeResult) {
  const parts: readonly AlertResult[] = result.ok === 'split' ? result.parts : [result];
  return parts.map((part) => {
    if (!part.ok) throw new Error(`expected an alert, got: ${part.reason}`);
    return part;
  });
}

const withoutRaw = ({ raw: _, ...alert }: CanonicalAlert) => alert;

describe('--format auto recognizes each built-in format by its own fields', () => {
  it.each(BUILTIN_FORMATS.map((f) => f.name))('every record of fixtures/formats/%s.ndjson is %s, and no other format', (name) => {
    for (const { record } of fixture(name)) {
      expect(SNIFFERS.filter((f) => f.sniff(record)).map((f) => f.name)).toEqual([name]);
    }
  });

  it('reads every fixture through auto with no dead letter, each alert valid', () => {
    const normalize = createNormalizer({ format: 'auto' });
    for (const { name } of BUILTIN_FORMATS) {
      fixture(name).forEach(({ text }, i) => {
        for (const { format, alert } of alertsOf(normalize(text, i + 1))) {
          expect(format).toBe(name);
          expect(CanonicalAlert.safeParse(alert).success).toBe(true);
        }
      });
    }
  });

  /** Records that look like a format but are not its alerts, or lack the field it is recognized by. */
  it.each([
    ['a Suricata flow event', { timestamp: '2017-04-07T22:24:37.251547+0100', event_type: 'flow', src_ip: '192.168.2.14', flow: {} }],
    ['a Suricata alert event without its alert object', { timestamp: '2017-04-07T22:24:37Z', event_type: 'alert', src_ip: '192.168.2.14' }],
    ['an OCSF Security Finding (class 2001)', { class_uid: 2001, time: 1672758699558, finding: { title: 'x' }, severity_id: 3 }],
    ['an OCSF Detection Finding with its class as text', { class_uid: '2004', time: 1672758699558, finding_info: { title: 'x', uid: 'u' } }],
    ['an ECS document without ecs.version', { '@timestamp': '2026-07-20T05:12:44Z', rule: { name: 'x' }, source: { ip: '1.2.3.4' } }],
    ['an ECS version without @timestamp', { ecs: { version: '8.11.0' }, rule: { name: 'x' } }],
    ['a Wazuh-like alert whose level is text', { timestamp: '2021-12-13T19:52:38.852+0800', rule: { level: '5', description: 'x' }, agent: { id: '000' } }],
    ['a Wazuh rule without an agent', { timestamp: '2021-12-13T19:52:38.852+0800', rule: { level: 5, description: 'x' } }],
    ['Falco output without its priority', { rule: 'Terminal shell in container', output: 'x', time: '2021-06-13T19:35:58Z' }],
    ['a Zeek conn.log line', { ts: 1320435875.879278, uid: 'C1', 'id.orig_h': '172.16.238.1', proto: 'tcp' }],
    ['a Zeek notice without ts', { note: 'SSH::Password_Guessing', msg: 'x' }],
    ['a Sigma rule (no matched document)', { title: 'x', name: 'x', level: 'high', timestamp: '2024-05-01T10:00:00Z', detection: {} }],
    ['an Alertmanager-like body without receiver', { alerts: [], groupKey: '{}:{}' }],
    ['an Alertmanager v2 API alert list entry', { labels: { alertname: 'x' }, startsAt: '2023-02-06T13:08:45.828Z', fingerprint: 'f' }],
  ])('does not take %s', (_, record) => {
    expect(SNIFFERS.filter((f) => f.sniff(record as JsonObject)).map((f) => f.name)).toEqual([]);
    const result = createNormalizer({ format: 'auto' })(JSON.stringify(record), 1);
    expect(result).toMatchObject({ ok: false, problem: 'unknown_format' });
  });
});

describe('built-in formats: field choices (docs/formats.md)', () => {
  const auto = createNormalizer({ format: 'auto' });
  const first = (format: string, index = 0) => {
    const { text } = fixture(format)[index]!;
    return alertsOf(auto(text, 1)).map((r) => withoutRaw(r.alert));
  };

  it('suricata-eve: signature, classification priority (1 most severe), the 5-tuple; id from the line', () => {
    const { text } = fixture('suricata-eve')[0]!;
    expect(first('suricata-eve', 0)).toEqual([
      {
        id: deterministicId(text),
        time: '2017-04-07T21:24:37.252Z',
        source: 'suricata',
        name: 'ET MALWARE BTGrab.com Spyware Downloading Ads',
        severity: 'high',
        severityOriginal: 1,
        category: 'A Network Trojan was detected',
        entities: { src_ip: '192.168.2.7', src_port: '1041', dst_ip: '209.53.113.9', dst_port: '80', proto: 'TCP', signature_id: '2001999' },
        tags: [],
      },
    ]);
  });

  it('wazuh: the alert id, rule description and level ranges, first MITRE tactic, rule groups as tags', () => {
    expect(first('wazuh')).toEqual([
      {
        id: '1639396350.5588',
        time: '2021-12-13T11:52:30.852Z',
        source: 'wazuh',
        name: 'sshd: authentication failed.',
        severity: 'low',
        severityOriginal: 5,
        category: 'Credential Access',
        entities: { host: 'centqiang', src_ip: '192.168.112.188', user: 'root', rule_id: '5716', location: '/var/log/secure' },
        tags: ['syslog', 'sshd', 'authentication_failed'],
      },
    ]);
  });

  it('falco: uuid, rule, priority, event source; output_fields keys with dots as entities', () => {
    expect(first('falco', 1)).toEqual([
      {
        id: 'ec834826-90c1-458a-8eec-a014e7266754',
        time: '2021-06-13T19:35:58.532Z',
        source: 'falco',
        name: 'Terminal shell in container',
        severity: 'low',
        severityOriginal: 'Notice',
        category: 'syscall',
        entities: {
          host: 'worker-2',
          process: 'sh',
          command: 'sh -c uptime',
          parent_process: 'runc',
          user: 'root',
          container: 'alpine',
          container_id: '788861c3cf83',
          image: 'alpine',
          namespace: 'default',
          pod: 'alpine-deployment-77789455d6-m7flp',
        },
        tags: ['container', 'mitre_execution', 'shell'],
      },
    ]);
  });

  it('zeek-notice: the notice type as name, medium for every notice, flat id.* keys for addresses', () => {
    const { text } = fixture('zeek-notice')[1]!;
    expect(first('zeek-notice', 1)).toEqual([
      {
        id: deterministicId(text),
        time: '2011-11-04T19:50:12.031Z',
        source: 'zeek',
        name: 'SSH::Password_Guessing',
        severity: 'medium',
        severityOriginal: null,
        category: 'other',
        entities: { src_ip: '172.16.238.1', dst_ip: '172.16.238.136', dst_port: '22', uid: 'CHhAvVGS1DHFjwGM9', sensor: 'bro' },
        tags: ['Notice::ACTION_LOG'],
      },
    ]);
  });

  it('ocsf: finding uid and title, severity_id, the finding type; endpoints from the evidence', () => {
    expect(first('ocsf')).toEqual([
      {
        id: 'e92903ce-7ce1-47d2-8bd6-c8035a5d2362',
        time: '2022-02-28T22:48:00.000Z',
        source: 'HTTP Parsing Firewall',
        name: 'Possible IDOR Attack Detected',
        severity: 'high',
        severityOriginal: 4,
        category: 'Web Attack',
        entities: { host: 'WebServer1005', host_ip: '172.16.17.15', src_ip: '134.209.118.137', dst_ip: '172.16.17.15', rule_id: 'SOC169' },
        tags: ['source_category:WAF'],
      },
    ]);
  });

  it('ecs: Elastic Security fields first, flat and nested keys alike, event.severity on the 0–100 bands', () => {
    expect(first('ecs', 3)).toEqual([
      {
        id: '3c1f7a52-9b0d-4e86-a1c2-5d7e9f0b2a14',
        time: '2026-07-20T03:40:19.221Z',
        source: 'endpoint',
        name: 'Hash matched local blocklist',
        severity: 'high',
        severityOriginal: 73,
        category: 'malware',
        entities: {
          host: 'WS-ENG-0231',
          user: 'd.chen',
          process: 'pskill.exe',
          file_hash: '4c2fa1e0b93f7d6c815e2a9d03b46c7f5a8e91d2c30b4f6a7d8e9f0a1b2c3d4e',
        },
        tags: [],
      },
    ]);
  });

  it('sigma-match: rule title and level, logsource category, Windows event fields; id from the line', () => {
    const { text } = fixture('sigma-match')[0]!;
    expect(first('sigma-match')).toEqual([
      {
        id: deterministicId(text),
        time: '2020-10-23T21:57:36.015Z',
        source: 'sigma',
        name: 'Potentially Suspicious Execution From Parent Process In Public Folder',
        severity: 'high',
        severityOriginal: 'high',
        category: 'process_creation',
        entities: { host: 'MSEDGEWIN10', user: 'MSEDGEWIN10\\IEUser', process: 'C:\\Users\\Public\\tmp.exe', rule_id: '69bd9b97-2be2-41b6-9816-fb08757a4d1a' },
        tags: ['attack.execution', 'attack.stealth', 'attack.t1564', 'attack.t1059'],
      },
    ]);
  });
});

describe('alertmanager: one alert per element of alerts[]', () => {
  const am = createNormalizer({ format: 'alertmanager' });
  const payloads = fixture('alertmanager');

  it('reads each element with its own id and time, in order', () => {
    const alerts = alertsOf(am(payloads[1]!.text, 2));
    expect(alerts.map((a) => [a.alert.id, a.alert.name, a.alert.time, a.alert.tags])).toEqual([
      ['am-c6eadffa33fcdf37-1634025063157', 'High memory usage', '2021-10-12T07:51:03.157Z', ['firing']],
      ['am-bc97ff14869b13e3-1634025363157', 'High CPU usage', '2021-10-12T07:56:03.157Z', ['firing']],
    ]);
    // Each alert's raw is its own element, not the payload.
    expect(alerts[1]!.alert.raw).toEqual((payloads[1]!.record.alerts as unknown[])[1]);
  });

  it('dates a resolved alert at its end, with an id apart from its firing one', () => {
    const [firing] = alertsOf(am(payloads[0]!.text, 1));
    const [resolved] = alertsOf(am(payloads[3]!.text, 4));
    expect(firing!.alert).toMatchObject({ id: 'am-1a30ba71cca2921f-1675688925828', time: '2023-02-06T13:08:45.828Z', tags: ['firing'] });
    expect(resolved!.alert).toMatchObject({ id: 'am-1a30ba71cca2921f-1675688925828-resolved', time: '2023-02-06T13:31:15.828Z', tags: ['resolved'] });
  });

  it('without a fingerprint, derives the id from the line and the element, deterministically', () => {
    const { text } = payloads[2]!;
    const [alert] = alertsOf(am(text, 3));
    expect(alert!.alert.id).toBe(deterministicId(`${text}#/alerts/0`));
    expect(alertsOf(am(text, 99))[0]!.alert.id).toBe(alert!.alert.id);
  });

  it('reads a single pretty-printed JSON body (a webhook request) as well as an NDJSON line', () => {
    const body = JSON.stringify(payloads[1]!.record, null, 2);
    expect(alertsOf(am(body, 1)).map((a) => withoutRaw(a.alert))).toEqual(alertsOf(am(payloads[1]!.text, 1)).map((a) => withoutRaw(a.alert)));
  });

  it('makes each bad element a reason naming it, and keeps the good ones', () => {
    const payload = structuredClone(payloads[1]!.record) as { alerts: Record<string, unknown>[] };
    payload.alerts.push('not an alert' as never, { ...payload.alerts[0], labels: { team: 'blue' }, fingerprint: 'ffff' });
    payload.alerts[0]!.startsAt = 'yesterday';
    const result = am(JSON.stringify(payload), 7);
    expect(result.ok).toBe('split');
    const parts = (result as Extract<NormalizeResult, { ok: 'split' }>).parts;
    expect(parts.map((p) => (p.ok ? p.alert.name : p.reason))).toEqual([
      '/alerts/0/startsAt (time): unparseable timestamp "yesterday"; use ISO-8601 (2026-11-20T10:00:00Z) or epoch seconds or milliseconds',
      'High CPU usage',
      '/alerts/2: expected an alert object, got string',
      "/alerts/3/labels/alertname (name): missing; every alert needs one, check the mapping's name paths",
    ]);
  });

  it('makes a payload without alerts one dead letter', () => {
    expect(am(JSON.stringify({ ...payloads[0]!.record, alerts: [] }), 1)).toEqual({
      ok: false,
      problem: 'schema',
      reason: '/alerts: empty; the payload holds no alert to decide',
    });
    expect(am(JSON.stringify({ receiver: 'x' }), 1)).toMatchObject({ ok: false, reason: expect.stringMatching(/^\/alerts: expected the webhook's list of alerts, got undefined/) });
  });
});

describe('docs/formats.md', () => {
  const MAPPINGS: Record<string, unknown> = {
    ecs: ECS_MAPPING,
    ocsf: OCSF_MAPPING,
    'suricata-eve': SURICATA_EVE_MAPPING,
    wazuh: WAZUH_MAPPING,
    falco: FALCO_MAPPING,
    'zeek-notice': ZEEK_NOTICE_MAPPING,
    'sigma-match': SIGMA_MATCH_MAPPING,
    alertmanager: ALERTMANAGER_ALERT_MAPPING,
  };
  const doc = readFileSync(join(ROOT, 'docs/formats.md'), 'utf8');
  const shown = new Map([...doc.matchAll(/```yaml\n# the built-in (\S+) mapping[^\n]*\n([\s\S]*?)```/g)].map((m) => [m[1]!, parse(m[2]!) as unknown]));

  it('has a section with its mapping for every built-in format', () => {
    expect([...shown.keys()].sort()).toEqual(BUILTIN_FORMATS.map((f) => f.name).sort());
    for (const { name } of BUILTIN_FORMATS) expect(doc).toContain(`\n### \`${name}\`\n`);
  });

  it.each(Object.keys(MAPPINGS))('shows the built-in %s mapping exactly as the code reads it', (name) => {
    expect(Mapping.parse(shown.get(name))).toEqual(Mapping.parse(MAPPINGS[name]));
  });
});
