#!/usr/bin/env node
// Writes the replay fixtures: a week of a SOC's alert stream with known ground truth.
//
//   node scripts/generate-fixtures.mjs [outDir]      (default: fixtures)
//
// Output is byte-identical on every run: a seeded PRNG (mulberry32, one stream per scenario so that
// changing one scenario leaves the others as they were), a fixed base time, no clock, no Math.random.
//
//   soc-week.ndjson            ~10k canonical alerts over 5 days, scenarios interleaved in event time,
//                              plus a sprinkling of malformed lines
//   soc-week.expected.json     ground truth: each scenario's alert ids and whether it is a true
//                              positive (simulated analyst feedback), and each malformed line
//   malformed.ndjson           one line of each malformed kind between two valid alerts (tests add an
//                              oversized line at run time: a >1 MiB line does not belong in git)
//   scenarios/<name>.ndjson    the attack scenarios alone, for demos and focused replays
//   generic/*.ndjson           Suricata EVE and Wazuh records, for --format generic with
//                              fixtures/mappings/{suricata-eve,wazuh-alerts}.yaml
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alertAt, calendar, DMZ, host, HOSTS, HOUR, MIB, MINUTE, ndjson, pad, randomness, SECOND, SERVERS, WORKSTATIONS } from './fixture-kit.mjs';

const SEED = 20261116;
const BASE_MS = Date.UTC(2026, 10, 16); // 2026-11-16T00:00:00.000Z, a Monday
const DAYS = 5;

const { at, workingHours, anyTime } = calendar(BASE_MS, DAYS);

// ---------------------------------------------------------------------------------------------
// Scenarios. Each yields its alerts; truePositive is what an analyst would conclude about all of them.

const SCENARIOS = [
  {
    name: 'background',
    truePositive: false,
    description: 'Informational and low-severity noise from every sensor, all week: nothing to act on.',
    generate(r) {
      const out = [];
      const suricataInfo = [
        'ET INFO Session Traversal Utilities for NAT (STUN Binding Request)',
        'ET INFO Observed DNS Query to .cloud TLD',
        'ET INFO HTTP Request to a *.top domain',
        'ET INFO Python-requests User-Agent Observed',
        'ET INFO Packed Executable Download',
      ];
      const suricataLow = ['ET USER_AGENTS Go HTTP Client User-Agent', 'SURICATA STREAM excessive retransmissions', 'SURICATA TLS invalid record/traffic'];
      const wazuh = ['PAM: Login session opened.', 'Windows: Service startup type was changed.', 'Integrity checksum changed.', 'File added to the system.', 'Audit: SELinux permission denied.'];
      const edr = ['Adware/PUP detected and quarantined', 'Suspicious PowerShell flag (-NoProfile)', 'Unsigned DLL loaded by Office'];
      for (let i = 0; i < 4200; i++) {
        const h = r.pick(HOSTS);
        const t = r.chance(0.7) ? workingHours(r) : anyTime(r);
        const kind = r.int(0, 9);
        if (kind <= 3) {
          const info = r.chance(0.6);
          out.push(alertAt(t, {
            source: 'suricata',
            name: info ? r.pick(suricataInfo) : r.pick(suricataLow),
            severity: info ? 'info' : 'low',
            category: 'other',
            entities: { src_ip: h.ip, dst_ip: `198.51.100.${r.int(1, 254)}`, dst_port: r.pick(['80', '443', '53', '3478']), host: h.host },
            tags: ['ids'],
          }));
        } else if (kind <= 6) {
          // Wazuh reports a 0–10-style number and epoch seconds.
          out.push(alertAt(t, { source: 'wazuh', name: r.pick(wazuh), severity: r.int(1, 3), category: 'other', entities: { host: h.host }, tags: ['syslog'] }, 'epoch-seconds'));
        } else if (kind <= 8) {
          out.push(alertAt(t, { source: 'crowdstrike', name: r.pick(edr), severity: 'low', category: 'malware', entities: { host: h.host, user: `u${pad(r.int(1, 300), 4)}` }, tags: ['edr'] }, 'epoch-ms'));
        } else {
          // Ordinary large-ish uploads: megabytes, far from the exfiltration threshold.
          out.push(alertAt(t, {
            source: 'zeek',
            name: 'Long-lived TLS session to uncategorised domain',
            severity: 'low',
            category: 'other',
            entities: { host: h.host, src_ip: h.ip, dst_ip: `203.0.113.${r.int(1, 254)}` },
            tags: ['netflow'],
            raw: { bytes_out: r.int(1, 30) * MIB + r.int(0, 1023), duration_s: r.int(60, 3600) },
          }));
        }
      }
      // A few mistyped passwords: single failures from internal addresses.
      for (let i = 0; i < 250; i++) {
        const h = r.pick(WORKSTATIONS);
        out.push(alertAt(workingHours(r), {
          source: 'wazuh',
          name: 'sshd: authentication failed.',
          severity: 'low',
          category: 'unauthorized-access',
          entities: { src_ip: h.ip, host: r.pick(['bastion-01', 'app-01', 'app-02']), user: `u${pad(r.int(1, 300), 4)}` },
          tags: ['sshd', 'auth-failure'],
        }));
      }
      return out;
    },
  },
  {
    name: 'policy-noise',
    truePositive: false,
    description: 'Recurring info/low policy signatures (personal cloud storage, TOR checks, old TLS, P2P): reported to IT hygiene, not worked.',
    generate(r) {
      const signatures = [
        { source: 'zscaler', name: 'Cloud storage upload (personal Dropbox)', severity: 'low' },
        { source: 'zscaler', name: 'TOR browser check', severity: 'info' },
        { source: 'suricata', name: 'ET POLICY Outdated TLS client (TLS 1.0)', severity: 'info' },
        { source: 'suricata', name: 'ET POLICY BitTorrent DHT ping request', severity: 'low' },
        { source: 'zscaler', name: 'Streaming media site visited during working hours', severity: 'info' },
      ];
      const out = [];
      for (let i = 0; i < 1500; i++) {
        const s = r.pick(signatures);
        const h = r.pick(WORKSTATIONS);
        out.push(alertAt(workingHours(r), { ...s, category: 'policy', entities: { host: h.host, src_ip: h.ip, user: `u${pad(r.int(1, 300), 4)}` }, tags: ['policy'] }));
      }
      return out;
    },
  },
  {
    name: 'portscan-noise',
    truePositive: false,
    description: 'Internet background scanning of the DMZ: many sources, a handful of probes each.',
    generate(r) {
      const out = [];
      const names = ['ET SCAN Potential SSH Scan', 'ET SCAN Suspicious inbound to MSSQL port 1433', 'ET SCAN Suspicious inbound to PostgreSQL port 5432', 'ET SCAN NMAP -sS window 1024', 'ET SCAN Zmap User-Agent (Inbound)'];
      for (let s = 0; s < 160; s++) {
        // Public first octets only: a scanner should not look like one of our own addresses.
        const src = `${r.pick([31, 45, 62, 77, 89, 91, 103, 118, 141, 159, 185, 193, 212])}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
        let t = anyTime(r);
        for (let p = r.int(3, 12); p > 0; p--) {
          const target = r.pick(DMZ);
          t += r.int(1, 20) * SECOND;
          out.push(alertAt(t, {
            source: 'suricata',
            name: r.pick(names),
            severity: r.chance(0.7) ? 'low' : 'medium',
            category: 'recon',
            entities: { src_ip: src, dst_ip: target.ip, dst_port: String(r.pick([22, 23, 80, 443, 1433, 3306, 3389, 5432, 8080])), host: target.host },
            tags: ['ids', 'scan'],
          }));
        }
      }
      return out;
    },
  },
  {
    name: 'portscan-heavy',
    truePositive: true,
    description: 'A deliberate sweep from 45.155.205.99 on Tuesday 03:12: a vertical scan of web-01, then a horizontal sweep of the DMZ and app subnet.',
    generate(r) {
      const out = [];
      const src = '45.155.205.99';
      const target = host('web-01');
      let t = at(1, 3, 12);
      // 300 distinct ports on one host in ~5 minutes.
      const ports = Array.from({ length: 1024 }, (_, i) => i + 1);
      for (let i = 0; i < 300; i++) {
        const port = ports.splice(r.int(0, ports.length - 1), 1)[0];
        t += r.int(200, 1800);
        out.push(alertAt(t, { source: 'suricata', name: 'ET SCAN Suspicious inbound connection attempt', severity: 'medium', category: 'recon', entities: { src_ip: src, dst_ip: target.ip, dst_port: String(port), host: target.host }, tags: ['ids', 'scan'] }));
      }
      // 80 addresses on port 22.
      for (let i = 0; i < 80; i++) {
        t += r.int(500, 2500);
        const ip = `10.0.${r.pick([1, 2])}.${i + 20}`;
        out.push(alertAt(t, { source: 'suricata', name: 'ET SCAN Potential SSH Scan', severity: 'medium', category: 'recon', entities: { src_ip: src, dst_ip: ip, dst_port: '22' }, tags: ['ids', 'scan'] }));
      }
      return out;
    },
  },
  {
    name: 'vuln-scanner',
    truePositive: false,
    description: 'The authorised weekly Nessus scan from 10.20.0.15 (Wednesday 01:00): exploit-like signatures included, all covered by the vuln-scanner-nessus exception.',
    generate(r) {
      const out = [];
      const names = [
        ['ET SCAN Nessus User Agent', 'medium', 'recon'],
        ['ET SCAN Possible Nmap User-Agent Observed', 'low', 'recon'],
        ['ET EXPLOIT Possible Log4j JNDI lookup', 'critical', 'unauthorized-access'],
        ['ET WEB_SERVER /etc/passwd Detected in URI', 'high', 'unauthorized-access'],
        ['ET WEB_SERVER Possible SQL Injection Attempt UNION SELECT', 'low', 'unauthorized-access'],
      ];
      let t = at(2, 1);
      for (let i = 0; i < 400; i++) {
        const [name, severity, category] = r.pick(names);
        const target = r.pick(SERVERS);
        t += r.int(1, 8) * SECOND;
        out.push(alertAt(t, { source: 'suricata', name, severity, category, entities: { src_ip: '10.20.0.15', dst_ip: target.ip, dst_port: String(r.int(1, 10000)), host: target.host }, tags: ['ids'] }));
      }
      return out;
    },
  },
  {
    name: 'pentest-authorized',
    truePositive: false,
    description: 'The contracted external pentest from 198.51.100.77 (Monday and Tuesday morning), before its exception expired at 2026-11-17T12:00Z.',
    generate(r) {
      return pentestActivity(r, [at(0, 10), at(1, 9)], 60);
    },
  },
  {
    name: 'pentest-after-expiry',
    truePositive: true,
    description: 'Activity from the pentest address on Thursday, after the engagement (and its exception) ended: treated as real.',
    generate(r) {
      return pentestActivity(r, [at(3, 14)], 150);
    },
  },
  {
    name: 'ssh-bruteforce',
    truePositive: true,
    description: 'SSH brute force from 203.0.113.66 against bastion-01, Tuesday 02:10, ending in a successful login.',
    generate(r) {
      const out = [];
      const target = host('bastion-01');
      let t = at(1, 2, 10);
      for (let i = 0; i < 320; i++) {
        t += r.int(2, 8) * SECOND;
        out.push(alertAt(t, {
          source: 'wazuh',
          name: 'sshd: authentication failed.',
          severity: 'low',
          category: 'unauthorized-access',
          entities: { src_ip: '203.0.113.66', host: target.host, user: r.pick(['root', 'root', 'admin', 'ubuntu', 'oracle']) },
          tags: ['sshd', 'auth-failure'],
        }));
      }
      out.push(alertAt(t + 40 * SECOND, {
        source: 'wazuh',
        name: 'sshd: successful login after multiple failures',
        severity: 'high',
        category: 'unauthorized-access',
        entities: { src_ip: '203.0.113.66', host: target.host, user: 'admin' },
        tags: ['sshd', 'auth-success'],
      }));
      return out;
    },
  },
  {
    name: 'password-spray',
    truePositive: true,
    description: 'Password spraying against Azure AD from 192.0.2.150, Thursday 13:00: one or two tries for each of 60 accounts.',
    generate(r) {
      const out = [];
      let t = at(3, 13);
      for (let u = 1; u <= 60; u++) {
        for (let k = r.int(1, 2); k > 0; k--) {
          t += r.int(5, 25) * SECOND;
          out.push(alertAt(t, {
            source: 'azure-ad',
            name: 'Sign-in failure (50126 invalid username or password)',
            severity: 'low',
            category: 'unauthorized-access',
            entities: { src_ip: '192.0.2.150', user: `user${pad(u, 3)}@corp.example` },
            tags: ['logon-failure', 'idp'],
          }));
        }
      }
      return out;
    },
  },
  {
    name: 'intrusion',
    truePositive: true,
    description: 'Multi-stage intrusion on web-02, Wednesday 21:00: recon, Struts exploitation, web shell, Cobalt Strike C2, credential dumping, exfiltration of ~1 GiB.',
    generate(r) {
      const out = [];
      const victim = host('web-02');
      const attacker = '185.100.87.41';
      const ids = { host: victim.host, dst_ip: victim.ip };
      let t = at(2, 21);
      const step = (lo, hi) => (t += r.int(lo, hi) * SECOND);
      // Recon: 40 ports, below the scan threshold.
      for (let i = 0; i < 40; i++) {
        step(1, 4);
        out.push(alertAt(t, { source: 'suricata', name: 'ET SCAN Nmap Scripting Engine User-Agent Detected', severity: 'medium', category: 'recon', entities: { src_ip: attacker, ...ids, dst_port: String(8000 + i) }, tags: ['ids'] }));
      }
      step(300, 600);
      for (let i = 0; i < 3; i++) {
        step(5, 20);
        out.push(alertAt(t, { source: 'suricata', name: 'ET EXPLOIT Apache Struts OGNL Injection', severity: 'high', category: 'unauthorized-access', entities: { src_ip: attacker, ...ids, dst_port: '8080' }, tags: ['ids', 'exploit'] }));
      }
      step(30, 60);
      out.push(alertAt(t, { source: 'suricata', name: 'ET WEB_SERVER WebShell Generic - wget http', severity: 'medium', category: 'malware', entities: { src_ip: attacker, ...ids }, tags: ['ids'] }));
      step(20, 40);
      out.push(alertAt(t, { source: 'crowdstrike', name: 'Web server process spawned a shell', severity: 'high', category: 'malware', entities: { host: victim.host, user: 'tomcat', process: '/bin/sh' }, tags: ['edr'] }));
      step(20, 40);
      out.push(alertAt(t, { source: 'crowdstrike', name: 'Suspicious download to /tmp with curl', severity: 'medium', category: 'malware', entities: { host: victim.host, user: 'tomcat', process: 'curl' }, tags: ['edr'] }));
      // C2 beacons every ~60s for two hours.
      const beaconStart = t;
      for (let i = 0; i < 120; i++) {
        const bt = beaconStart + 60 * SECOND * (i + 1) + r.jitter(5 * SECOND);
        out.push(alertAt(bt, { source: 'suricata', name: 'ET MALWARE Cobalt Strike Beacon Observed', severity: 'medium', category: 'malware', entities: { src_ip: victim.ip, dst_ip: '91.215.85.17', host: victim.host }, tags: ['ids', 'c2'] }));
      }
      step(300, 400);
      out.push(alertAt(t, { source: 'crowdstrike', name: 'Credential dumping via LSASS access', severity: 'critical', category: 'malware', entities: { host: victim.host, user: 'tomcat', process: 'rundll32.exe' }, tags: ['edr'] }));
      step(600, 900);
      // Exfiltration: 10 transfers of 80–150 MiB within ~5 minutes.
      for (let i = 0; i < 10; i++) {
        step(20, 40);
        out.push(alertAt(t, {
          source: 'zeek',
          name: 'Large outbound transfer',
          severity: 'low',
          category: 'data-breach',
          entities: { host: victim.host, src_ip: victim.ip, dst_ip: '91.215.85.17' },
          tags: ['netflow'],
          raw: { bytes_out: r.int(80, 150) * MIB, duration_s: r.int(20, 60) },
        }));
      }
      return out;
    },
  },
  {
    name: 'sqli-burst',
    truePositive: true,
    description: 'Automated SQL injection against web-03 from 203.0.113.200, Friday 15:30: 60 attempts in 4 minutes.',
    generate(r) {
      const out = [];
      const target = host('web-03');
      let t = at(4, 15, 30);
      for (let i = 0; i < 60; i++) {
        t += r.int(2, 6) * SECOND;
        out.push(alertAt(t, { source: 'suricata', name: 'ET WEB_SERVER Possible SQL Injection Attempt UNION SELECT', severity: 'low', category: 'unauthorized-access', entities: { src_ip: '203.0.113.200', dst_ip: target.ip, dst_port: '443', host: target.host }, tags: ['ids', 'web'] }));
      }
      return out;
    },
  },
  {
    name: 'first-seen-benign',
    truePositive: false,
    description: 'A patch-agent rollout (Tuesday 10:00) creates a scheduled task on 12 workstations, then daily: new to each host once, benign.',
    generate(r) {
      const out = [];
      const hosts = WORKSTATIONS.slice(20, 32);
      for (let day = 1; day < DAYS; day++) {
        for (const h of hosts) {
          out.push(alertAt(at(day, 10) + r.jitter(HOUR), { source: 'crowdstrike', name: 'Suspicious scheduled task created', severity: 'medium', category: 'malware', entities: { host: h.host, user: 'SYSTEM', process: 'patchagent.exe' }, tags: ['edr'] }));
        }
      }
      return out;
    },
  },
  {
    name: 'edr-high-fp',
    truePositive: false,
    description: 'The backup agent on backup-01 opens LSASS every night at 01:00: a high-severity false positive, once a day.',
    generate(r) {
      return Array.from({ length: DAYS }, (_, day) =>
        alertAt(at(day, 1) + r.jitter(2 * MINUTE), { source: 'crowdstrike', name: 'Credential access: LSASS handle opened', severity: 'high', category: 'malware', entities: { host: 'backup-01', user: 'svc-backup', process: 'backupagent.exe' }, tags: ['edr'] }),
      );
    },
  },
];

/** Pentest sessions: scans of the DMZ, then exploit attempts, from 198.51.100.77. */
function pentestActivity(r, starts, perSession) {
  const out = [];
  for (const start of starts) {
    let t = start;
    const target = r.pick(DMZ);
    for (let i = 0; i < perSession; i++) {
      t += r.int(1, 6) * SECOND;
      const exploit = i >= perSession - 5;
      out.push(alertAt(t, {
        source: 'suricata',
        name: exploit ? 'ET EXPLOIT Possible Log4j JNDI lookup' : 'ET SCAN Suspicious inbound connection attempt',
        severity: exploit ? 'critical' : 'medium',
        category: exploit ? 'unauthorized-access' : 'recon',
        entities: { src_ip: '198.51.100.77', dst_ip: target.ip, dst_port: exploit ? '443' : String(1000 + i), host: target.host },
        tags: ['ids'],
      }));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Malformed lines: what a real feed occasionally carries. Each is a dead letter, with a reason.

const MALFORMED = [
  { kind: 'truncated-json', text: '{"id":"cut-off","time":"2026-11-16T10:00:00.000Z","source":"suricata","name":"ET SCAN' },
  { kind: 'not-an-object', text: '["suricata","ET SCAN Potential SSH Scan","medium"]' },
  { kind: 'bad-timestamp', text: JSON.stringify({ time: 'yesterday 10:00', source: 'wazuh', name: 'PAM: Login session opened.', severity: 'low' }) },
  { kind: 'impossible-date', text: JSON.stringify({ time: '2026-11-31T10:00:00Z', source: 'wazuh', name: 'PAM: Login session opened.', severity: 'low' }) },
  { kind: 'unknown-severity', text: JSON.stringify({ time: '2026-11-18T10:00:00Z', source: 'crowdstrike', name: 'Adware/PUP detected and quarantined', severity: 'urgent' }) },
  { kind: 'missing-name', text: JSON.stringify({ time: '2026-11-18T10:00:00Z', source: 'suricata', severity: 'low', entities: { host: 'ws-001' } }) },
  { kind: 'misspelt-field', text: JSON.stringify({ time: '2026-11-18T10:00:00Z', source: 'suricata', name: 'ET INFO Packed Executable Download', severity: 'info', entitites: { host: 'ws-002' } }) },
  { kind: 'binary-garbage', bytes: [0x7b, 0x00, 0xff, 0xfe, 0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x80, 0x81, 0x7d] },
];

// ---------------------------------------------------------------------------------------------
// Assembly

function generateWeek() {
  const items = [];
  SCENARIOS.forEach((scenario, index) => {
    const r = randomness(SEED + 1000 * (index + 1));
    for (const { timeMs, alert } of scenario.generate(r)) items.push({ timeMs, alert, scenario: scenario.name, order: items.length });
  });
  // Event-time order, ties broken by generation order: a stable, total order.
  items.sort((a, b) => a.timeMs - b.timeMs || a.order - b.order);
  items.forEach((item, i) => (item.id = `sw-${pad(i + 1, 5)}`));

  // Malformed lines go at fixed, evenly spaced places, each kind three times.
  const malformed = [...MALFORMED, ...MALFORMED, ...MALFORMED];
  const spacing = Math.floor(items.length / (malformed.length + 1));
  const lines = [];
  const malformedLines = [];
  let next = 0;
  items.forEach((item, i) => {
    if (next < malformed.length && i === spacing * (next + 1)) {
      lines.push(lineOf(malformed[next]));
      malformedLines.push({ line: lines.length, kind: malformed[next].kind });
      next++;
    }
    lines.push(Buffer.from(JSON.stringify({ id: item.id, ...item.alert })));
  });
  return { items, lines, malformedLines };
}

function lineOf(entry) {
  return entry.bytes ? Buffer.from(entry.bytes) : Buffer.from(entry.text);
}

function expectedOf(week) {
  const scenarios = {};
  for (const s of SCENARIOS) scenarios[s.name] = { truePositive: s.truePositive, description: s.description, count: 0, alertIds: [] };
  for (const item of week.items) {
    scenarios[item.scenario].count++;
    scenarios[item.scenario].alertIds.push(item.id);
  }
  return {
    about: 'Ground truth for soc-week.ndjson, written by scripts/generate-fixtures.mjs: do not edit by hand.',
    seed: SEED,
    baseTime: new Date(BASE_MS).toISOString(),
    days: DAYS,
    lines: week.lines.length,
    alerts: week.items.length,
    malformed: week.malformedLines,
    scenarios,
  };
}

/** The malformed kinds one by one, between two valid alerts. */
function malformedFixture() {
  const valid = (id, minute) =>
    Buffer.from(JSON.stringify({ id, time: new Date(at(0, 12, minute)).toISOString(), source: 'suricata', name: 'ET INFO Packed Executable Download', severity: 'info', category: 'other', entities: { host: 'ws-001' }, tags: [] }));
  return ndjson([valid('valid-first', 0), ...MALFORMED.map(lineOf), valid('valid-last', 1)]);
}

/** Suricata EVE records (event_type alert) for the SQL injection burst and the Struts exploitation. */
function suricataEve(week) {
  const eve = (item, i) => {
    const { alert } = item;
    const severity = { critical: 1, high: 1, medium: 2, low: 3, info: 4 }[alert.severity];
    return {
      timestamp: new Date(item.timeMs).toISOString().replace('Z', '000+0000'),
      flow_id: 1_000_000_000_000 + i,
      in_iface: 'eth1',
      event_type: 'alert',
      src_ip: alert.entities.src_ip,
      src_port: 40000 + (i % 20000),
      dest_ip: alert.entities.dst_ip,
      dest_port: Number(alert.entities.dst_port ?? 443),
      proto: 'TCP',
      alert: { action: 'allowed', gid: 1, signature_id: 2000000 + (alert.name.length * 97) % 100000, rev: 3, signature: alert.name, category: alert.category === 'recon' ? 'Detection of a Network Scan' : 'Web Application Attack', severity },
      host: 'sensor-dmz-01',
    };
  };
  const picked = week.items.filter((item) => item.scenario === 'sqli-burst' || (item.scenario === 'intrusion' && item.alert.source === 'suricata' && !item.alert.name.includes('Beacon')));
  return ndjson(picked.map((item, i) => Buffer.from(JSON.stringify(eve(item, i)))));
}

/** Wazuh manager alerts (alerts.json) for the SSH brute force. */
function wazuhAlerts(week) {
  const picked = week.items.filter((item) => item.scenario === 'ssh-bruteforce');
  return ndjson(
    picked.map((item, i) => {
      const { alert } = item;
      const failed = alert.tags.includes('auth-failure');
      const record = {
        timestamp: new Date(item.timeMs).toISOString().replace('Z', '+0000'),
        rule: {
          level: failed ? 5 : 10,
          description: failed ? 'sshd: authentication failed.' : 'sshd: authentication success after multiple failures.',
          id: failed ? '5760' : '40112',
          mitre: { id: ['T1110.001'], tactic: ['Credential Access'] },
          groups: failed ? ['syslog', 'sshd', 'authentication_failed'] : ['syslog', 'sshd', 'authentication_success'],
        },
        agent: { id: '004', name: alert.entities.host, ip: host(alert.entities.host).ip },
        manager: { name: 'wazuh-manager-01' },
        id: `${Math.floor(item.timeMs / 1000)}.${pad(i, 6)}`,
        full_log: `sshd[${2000 + i}]: Failed password for ${alert.entities.user} from ${alert.entities.src_ip} port ${50000 + i} ssh2`,
        data: { srcip: alert.entities.src_ip, dstuser: alert.entities.user },
        location: '/var/log/auth.log',
      };
      return Buffer.from(JSON.stringify(record));
    }),
  );
}

function write(outDir, relative, content) {
  const file = join(outDir, relative);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, content);
  return file;
}

const FOCUSED = ['ssh-bruteforce', 'password-spray', 'intrusion', 'portscan-heavy', 'sqli-burst'];

function main() {
  const outDir = process.argv[2] ?? 'fixtures';
  const week = generateWeek();
  const written = [
    write(outDir, 'soc-week.ndjson', ndjson(week.lines)),
    write(outDir, 'soc-week.expected.json', `${JSON.stringify(expectedOf(week), null, 1)}\n`),
    write(outDir, 'malformed.ndjson', malformedFixture()),
    ...FOCUSED.map((name) =>
      write(outDir, `scenarios/${name}.ndjson`, ndjson(week.items.filter((i) => i.scenario === name).map((i) => Buffer.from(JSON.stringify({ id: i.id, ...i.alert }))))),
    ),
    write(outDir, 'generic/suricata-eve.ndjson', suricataEve(week)),
    write(outDir, 'generic/wazuh-alerts.ndjson', wazuhAlerts(week)),
  ];
  process.stdout.write(`wrote ${written.length} files to ${outDir}: ${week.items.length} alerts and ${week.malformedLines.length} malformed lines in soc-week.ndjson\n`);
}

main();
