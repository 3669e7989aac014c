#!/usr/bin/env node
// A labelled, multi-day detector stream for `alertgate eval` (docs/eval.md): the shape of many real
// streams (Wazuh, Suricata and a log anomaly detector, AMiner) — `source`, `name` (the signature), the
// host and its address, no severity, no category, no tags. Two different networks: `train` (310 hosts,
// 6 days) and `test` (270 hosts, 5 days), each with its own hosts, addresses, routine signatures and
// rates, its own rare benign oddities and its own multi-step attacks. The labels say which alerts an
// attack caused and in which phase.
//
//   npm run eval-data                                  writes out/eval-data/{train,test}/{alerts.ndjson,labels.json}
//   node scripts/eval-data.mjs [--out DIR] [--scale small|full] [--seed N]
//
// Read with the mapping fixtures/mappings/signature-stream.yaml. Deterministic: seeded randomness,
// fixed start times, no clock; the same seed gives the same bytes. Never committed (out/ is ignored).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAY, HOUR, MINUTE, pad, randomness, SECOND } from './fixture-kit.mjs';

const W = 'wazuh';
const S = 'suricata';
const A = 'aminer';

/**
 * Routine signatures: what every network's detectors say all day. `roles` are the hosts that raise it,
 * `perHour` its rate per host at the busiest hour, `rhythm` how that rate follows the day: `office`
 * (working hours, weekdays), `flat`, or `nightly` (a burst at the host's own job hour).
 */
const ROUTINE = [
  { source: W, name: 'PAM: Login session opened.', roles: ['server', 'web', 'mail', 'db'], perHour: 1.2, rhythm: 'office' },
  { source: W, name: 'PAM: Login session closed.', roles: ['server', 'web', 'mail', 'db'], perHour: 1.2, rhythm: 'office' },
  { source: W, name: 'sshd: authentication success.', roles: ['server', 'web', 'db'], perHour: 0.4, rhythm: 'office' },
  { source: W, name: 'Successful sudo to ROOT executed.', roles: ['server', 'web', 'db'], perHour: 0.2, rhythm: 'office' },
  { source: W, name: 'Integrity checksum changed.', roles: ['server', 'web', 'mail', 'db', 'workstation'], perHour: 6, rhythm: 'nightly' },
  { source: W, name: 'Host-based anomaly detection event (rootcheck).', roles: ['server', 'web', 'mail', 'db'], perHour: 2, rhythm: 'nightly' },
  { source: W, name: 'Listened ports status (netstat) changed (new port opened or closed).', roles: ['server', 'web', 'db'], perHour: 0.15, rhythm: 'flat' },
  { source: W, name: 'Web server 400 error code.', roles: ['web'], perHour: 4, rhythm: 'office' },
  { source: W, name: 'Dovecot Authentication Success.', roles: ['mail'], perHour: 8, rhythm: 'office' },
  { source: W, name: 'Postfix: Reject from blacklisted host.', roles: ['mail'], perHour: 1, rhythm: 'flat' },
  { source: W, name: 'Windows logon success.', roles: ['workstation'], perHour: 1.5, rhythm: 'office' },
  { source: W, name: 'Windows User Logoff.', roles: ['workstation'], perHour: 1.2, rhythm: 'office' },
  { source: W, name: 'Software protection service scheduled successfully.', roles: ['workstation'], perHour: 0.3, rhythm: 'flat' },
  { source: W, name: 'Log file rotated.', roles: ['server', 'web', 'mail', 'db'], perHour: 1, rhythm: 'nightly' },
  { source: W, name: 'SCA summary: CIS benchmark score below 60%.', roles: ['server', 'web', 'mail', 'db', 'workstation'], perHour: 0.5, rhythm: 'nightly' },
  { source: W, name: 'sshd: authentication failed.', roles: ['server', 'web', 'db'], perHour: 0.05, rhythm: 'office' },
  { source: W, name: 'Windows logon failure.', roles: ['workstation'], perHour: 0.08, rhythm: 'office' },
  { source: S, name: 'ET POLICY GNU/Linux APT User-Agent Outbound likely related to package management', roles: ['server', 'web', 'mail', 'db'], perHour: 1.5, rhythm: 'nightly' },
  { source: S, name: 'ET INFO Observed DNS Query to .cloud TLD', roles: ['workstation', 'server'], perHour: 0.6, rhythm: 'office' },
  { source: S, name: 'SURICATA STREAM ESTABLISHED packet out of window', roles: ['server', 'web', 'mail', 'db', 'workstation'], perHour: 0.5, rhythm: 'flat' },
  { source: S, name: 'SURICATA STREAM Packet with invalid ack', roles: ['server', 'web', 'mail', 'db', 'workstation'], perHour: 0.4, rhythm: 'flat' },
  { source: S, name: 'ET POLICY Dropbox.com Offsite File Backup in Use', roles: ['workstation'], perHour: 0.2, rhythm: 'office' },
  { source: S, name: 'ET INFO TLS Handshake Failure', roles: ['web', 'mail', 'workstation'], perHour: 0.3, rhythm: 'flat' },
  { source: S, name: 'SURICATA HTTP unable to match response to request', roles: ['web'], perHour: 1, rhythm: 'office' },
  { source: S, name: 'ET POLICY Windows Update P2P Activity', roles: ['workstation'], perHour: 0.4, rhythm: 'office' },
  { source: S, name: 'SURICATA TLS invalid record/traffic', roles: ['web', 'mail'], perHour: 0.3, rhythm: 'flat' },
  { source: S, name: 'ET INFO Session Traversal Utilities for NAT (STUN Binding Request)', roles: ['workstation'], perHour: 0.2, rhythm: 'office' },
  { source: A, name: 'New value detected: /model/accesslog/useragent', roles: ['web'], perHour: 1.5, rhythm: 'office' },
  { source: A, name: 'New value detected: /model/accesslog/request', roles: ['web'], perHour: 1, rhythm: 'office' },
  { source: A, name: 'Event frequency anomaly: /model/syslog/cron', roles: ['server', 'web', 'mail', 'db'], perHour: 0.3, rhythm: 'nightly' },
  { source: A, name: 'New value combination detected: /model/auth/user,/model/auth/host', roles: ['server', 'web', 'mail', 'db'], perHour: 0.05, rhythm: 'office' },
  { source: A, name: 'Value range exceeded: /model/accesslog/size', roles: ['web'], perHour: 0.4, rhythm: 'office' },
  { source: A, name: 'New value detected: /model/mail/sender', roles: ['mail'], perHour: 3, rhythm: 'office' },
  { source: A, name: 'Event frequency anomaly: /model/winlog/logon', roles: ['workstation'], perHour: 0.1, rhythm: 'office' },
];

/** Signatures a few hosts of a network raise all the time (a developer's tools, an odd service): routine on those hosts only. */
const HOST_SPECIFIC = [
  { source: S, name: 'ET POLICY Python-urllib/ Suspicious User Agent', perHour: 2 },
  { source: S, name: 'ET INFO GENERIC SUSPICIOUS POST to Dotted Quad with Fake Browser', perHour: 0.5 },
  { source: S, name: 'ET POLICY curl User-Agent Outbound', perHour: 3 },
  { source: W, name: 'Service startup type was changed.', perHour: 0.5 },
  { source: W, name: 'Audit: Command executed by user.', perHour: 2 },
  { source: A, name: 'Unusual character set: /model/syslog/message', perHour: 1 },
  { source: A, name: 'Event frequency anomaly: /model/syslog/kernel', perHour: 0.6 },
  { source: W, name: 'Docker: Container started.', perHour: 1 },
];

/**
 * Rare benign oddities: real, harmless, and unlike the routine. Each makes a handful of alerts on one
 * host (or from one scanner), some of them from several detectors at once. `perDay`: how many a day
 * in a network of 300 hosts.
 */
const ODDITIES = [
  {
    kind: 'package-install', perDay: 0.6, roles: ['server', 'web', 'db'],
    steps: [[W, 'New dpkg (Debian Package) installed.', 2, 5], [W, 'Integrity checksum changed.', 5, 20], [S, 'ET POLICY GNU/Linux APT User-Agent Outbound likely related to package management', 2, 6], [A, 'New value detected: /model/dpkg/package', 1, 3]],
  },
  {
    kind: 'admin-maintenance', perDay: 0.5, roles: ['server', 'web', 'mail', 'db'],
    steps: [[W, 'First time user executed sudo.', 1, 1], [W, 'Successful sudo to ROOT executed.', 2, 6], [W, 'Service stopped.', 1, 2], [W, 'Service started.', 1, 2], [A, 'New value combination detected: /model/audit/exec', 1, 2]],
  },
  {
    kind: 'forgotten-password', perDay: 2, roles: ['server', 'web', 'db'],
    steps: [[W, 'sshd: authentication failed.', 3, 9], [W, 'PAM: User login failed.', 3, 9]],
  },
  {
    kind: 'workstation-lockout', perDay: 2, roles: ['workstation'],
    steps: [[W, 'Windows logon failure.', 4, 12], [W, 'User account locked out (multiple login errors).', 1, 1]],
  },
  {
    kind: 'chatty-app', perDay: 0.8, roles: ['workstation', 'server'],
    steps: [[S, 'ET INFO Excessive DNS Queries - Possible DNS Tunneling', 1, 4], [A, 'Event frequency anomaly: /model/dns/query', 1, 2]],
  },
  {
    kind: 'new-software', perDay: 1, roles: ['workstation'],
    steps: [[W, 'New Windows Service Created.', 1, 2], [W, 'Windows application installed.', 1, 1], [S, 'ET INFO Packed Executable Download', 1, 1]],
  },
  {
    kind: 'web-crawler', perDay: 0.6, roles: ['web'],
    steps: [[W, 'Web server 400 error code.', 20, 80], [W, 'Multiple web server 400 error codes from same source ip.', 1, 4], [A, 'Unusual character set: /model/accesslog/request', 1, 2]],
  },
  {
    kind: 'service-restart', perDay: 0.4, roles: ['web', 'mail', 'db'],
    steps: [[W, 'Service stopped.', 1, 1], [W, 'Service started.', 1, 1], [A, 'Event sequence anomaly: /model/syslog/systemd', 1, 1]],
  },
];

/**
 * Attack phases: what each step of an intrusion makes the detectors say, on which host. A step is
 * `[source, name, min, max]` alerts; `anyOf` steps are alternatives (one is chosen per attack: the
 * same phase looks different from one attack to the next, some without any attacker-tool signature).
 */
const PHASES = {
  'recon-scan': {
    title: 'network scan', on: 'many',
    anyOf: [
      [[S, 'ET SCAN Possible Nmap User-Agent Observed', 1, 2], [S, 'SURICATA STREAM Packet with invalid ack', 1, 3]],
      [[S, 'ET SCAN Nmap Scripting Engine User-Agent Detected (Nmap Scripting Engine)', 1, 3], [S, 'ET SCAN Potential SSH Scan', 1, 2]],
    ],
  },
  'web-scan': {
    title: 'web application scan', on: 'web',
    anyOf: [
      [[W, 'Web server 400 error code.', 80, 300], [W, 'Multiple web server 400 error codes from same source ip.', 3, 10], [S, 'ET SCAN Nikto Web App Scan in Progress', 5, 30], [A, 'Unusual character set: /model/accesslog/request', 2, 8]],
      [[W, 'Web server 400 error code.', 60, 200], [W, 'Multiple web server 400 error codes from same source ip.', 2, 8], [S, 'ET SCAN WPScan User Agent', 5, 20], [A, 'New value detected: /model/accesslog/useragent', 1, 3]],
      [[W, 'Web server 400 error code.', 100, 400], [W, 'Multiple web server 400 error codes from same source ip.', 4, 12], [A, 'Unusual character set: /model/accesslog/request', 3, 10], [A, 'Value range exceeded: /model/accesslog/size', 1, 4]],
    ],
  },
  webshell: {
    title: 'web shell upload and use', on: 'web',
    anyOf: [
      [[W, 'File added to the system.', 1, 2], [W, 'Integrity checksum changed.', 1, 3], [S, 'ET WEB_SERVER WebShell Generic - wget http - POST', 1, 3], [A, 'New value combination detected: /model/audit/exec', 1, 3]],
      [[W, 'File added to the system.', 1, 2], [S, 'ET ATTACK_RESPONSE Output of id command from HTTP server', 1, 2], [A, 'New value detected: /model/accesslog/request', 2, 6], [A, 'New value combination detected: /model/audit/exec', 1, 2]],
    ],
  },
  'brute-force': {
    title: 'password cracking', on: 'server',
    anyOf: [
      [[W, 'sshd: authentication failed.', 60, 250], [W, 'sshd: brute force trying to get access to the system. Authentication failed.', 3, 12], [W, 'PAM: User login failed.', 30, 120], [A, 'Event frequency anomaly: /model/auth/failed', 1, 3]],
      [[W, 'sshd: authentication failed.', 40, 150], [S, 'ET SCAN Hydra User-Agent', 2, 10], [S, 'ET SCAN Potential SSH Scan', 1, 4]],
    ],
  },
  'privilege-escalation': {
    title: 'privilege escalation', on: 'same',
    anyOf: [
      [[W, 'First time user executed sudo.', 1, 1], [W, 'Successful sudo to ROOT executed.', 1, 3], [A, 'New value combination detected: /model/audit/exec', 1, 3], [A, 'New value detected: /model/audit/syscall', 1, 2]],
      [[W, 'User successfully changed UID to root.', 1, 2], [W, 'Integrity checksum changed.', 1, 2], [A, 'New value detected: /model/audit/syscall', 1, 2]],
    ],
  },
  'lateral-movement': {
    title: 'lateral movement', on: 'other',
    anyOf: [
      [[W, 'sshd: authentication success.', 1, 3], [W, 'PAM: Login session opened.', 1, 3], [A, 'New value combination detected: /model/auth/user,/model/auth/host', 1, 2], [S, 'ET POLICY SSH session in progress on Unusual Port', 1, 2]],
      [[W, 'Windows logon success.', 1, 2], [W, 'Logon with explicit credentials (runas).', 1, 2], [S, 'ET POLICY SMB2 NT Create AndX Request For an Executable File', 1, 3], [A, 'New value combination detected: /model/auth/user,/model/auth/host', 1, 1]],
    ],
  },
  'c2-beacon': {
    title: 'command and control', on: 'same',
    anyOf: [
      [[S, 'ET TROJAN Possible Metasploit Payload Common Construct Bind_API (from server)', 1, 2], [S, 'ET INFO HTTP Request to a *.top domain', 3, 10], [A, 'Event frequency anomaly: /model/proxy/connect', 1, 2]],
      [[S, 'ET INFO HTTP Request to a *.top domain', 5, 15], [S, 'ET POLICY Self Signed SSL Certificate (SomeOrganizationalUnit)', 2, 6], [A, 'Event frequency anomaly: /model/proxy/connect', 1, 3]],
    ],
  },
  exfiltration: {
    title: 'data exfiltration over DNS', on: 'same',
    anyOf: [
      [[S, 'ET INFO Excessive DNS Queries - Possible DNS Tunneling', 5, 20], [A, 'High entropy value: /model/dns/query', 3, 12], [A, 'Event frequency anomaly: /model/dns/query', 1, 4]],
      [[S, 'ET DNS Query for .to TLD', 3, 8], [S, 'ET INFO Excessive DNS Queries - Possible DNS Tunneling', 3, 10], [A, 'High entropy value: /model/dns/query', 2, 8]],
    ],
  },
  'service-stop': {
    title: 'service disruption', on: 'same',
    anyOf: [
      [[W, 'Apache: server shutdown.', 1, 1], [W, 'Service stopped.', 1, 2], [A, 'Event sequence anomaly: /model/syslog/systemd', 1, 2]],
    ],
  },
};

/** Multi-step attacks, as kill chains of phases; each network draws its attacks from these. */
const CHAINS = [
  { title: 'web server to root, then exfiltration', phases: ['recon-scan', 'web-scan', 'webshell', 'privilege-escalation', 'exfiltration', 'service-stop'] },
  { title: 'SSH intrusion and lateral movement', phases: ['recon-scan', 'brute-force', 'privilege-escalation', 'lateral-movement', 'c2-beacon', 'exfiltration'] },
  { title: 'web shell, cracking, lateral movement', phases: ['web-scan', 'webshell', 'brute-force', 'lateral-movement', 'privilege-escalation', 'c2-beacon'] },
];

/** The two networks (and the small one the tests use). `routineShare`: the share of ROUTINE a network's detectors raise. */
export const NETWORKS = {
  train: { seed: 12_000_001, startMs: Date.UTC(2026, 9, 5), days: 6, hosts: 310, subnet: 20, domain: 'corp.example', routineShare: 0.85, rate: 1.8, attacks: [0, 1, 2] },
  test: { seed: 12_000_002, startMs: Date.UTC(2026, 10, 9), days: 5, hosts: 270, subnet: 30, domain: 'ops.example', routineShare: 0.85, rate: 2.4, attacks: [1, 2, 0] },
};

/** Scales: `full` as above; `small` for the tests (a tenth of the hosts, two days, two attacks). */
const SCALES = { full: (n) => n, small: (n) => ({ ...n, hosts: Math.round(n.hosts / 10), days: 2, attacks: n.attacks.slice(0, 2) }) };

/** One network's alerts (raw lines, sorted by time) and labels; `hosts` and `days` override the network's (benchmarks). */
export function generateNetwork(name, { scale = 'full', seed, hosts: hostCount, days } = {}) {
  const net = { ...SCALES[scale]({ ...NETWORKS[name] }), ...(hostCount !== undefined ? { hosts: hostCount } : {}), ...(days !== undefined ? { days } : {}) };
  const r = randomness(seed ?? net.seed);
  const hosts = estate(r, net);
  const routine = ROUTINE.filter(() => r.chance(net.routineShare));
  const events = [];
  const emit = (timeMs, source, name, host, label) => events.push({ timeMs, source, name, host, label, order: events.length });
  const endMs = net.startMs + net.days * DAY;

  // Routine: each host, each routine signature of its role, hour by hour.
  for (const h of hosts) {
    const jobHour = r.int(0, 5);
    const mine = routine.filter((s) => s.roles.includes(h.role)).map((s) => ({ ...s, perHour: s.perHour * net.rate * (0.5 + r.next()) }));
    for (const s of h.specific) mine.push({ ...s, rhythm: 'flat' });
    for (let hourMs = net.startMs; hourMs < endMs; hourMs += HOUR) {
      for (const s of mine) {
        const n = poisson(r, s.perHour * rhythmAt(s.rhythm, hourMs, jobHour));
        for (let i = 0; i < n; i++) emit(hourMs + r.jitter(HOUR), s.source, s.name, h, undefined);
      }
    }
  }

  // Oddities: each kind about perDay times a day (scaled by the network's size), on a host of its roles.
  const oddities = [];
  for (const o of ODDITIES) {
    const candidates = hosts.filter((h) => o.roles.includes(h.role));
    const count = poisson(r, o.perDay * net.days * (hosts.length / 300));
    for (let k = 0; k < count; k++) {
      const h = r.pick(candidates);
      const at = net.startMs + r.jitter(net.days * DAY);
      oddities.push({ kind: o.kind, host: h.name, time: new Date(at).toISOString() });
      burst(r, o.steps, at, 20 * MINUTE, (t, source, sig) => emit(t, source, sig, h, undefined));
    }
  }

  // Attacks: each chain from day 1 on (day 0 is every detector's baseline), phases minutes to hours apart.
  const attacks = net.attacks.map((chainIndex, i) => {
    const chain = CHAINS[chainIndex];
    const id = `${name}-a${i + 1}`;
    const attacker = `198.51.100.${r.int(10, 250)}`;
    let t = net.startMs + DAY * r.int(1, Math.max(1, net.days - 2)) + r.int(0, 23) * HOUR + r.jitter(HOUR);
    const web = r.pick(hosts.filter((h) => h.role === 'web'));
    const server = r.pick(hosts.filter((h) => h.role === 'server' || h.role === 'db'));
    let current = chain.phases.includes('web-scan') ? web : server;
    const phases = chain.phases.map((phaseName, p) => {
      const phase = PHASES[phaseName];
      const phaseId = `${id}.${p + 1}-${phaseName}`;
      if (phase.on === 'other') current = r.pick(hosts.filter((h) => h !== current && h.role !== 'workstation'));
      else if (phase.on === 'web') current = web;
      else if (phase.on === 'server' && current.role === 'workstation') current = server;
      const steps = r.pick(phase.anyOf);
      const targets = phase.on === 'many' ? sample(r, hosts, r.int(20, 60)) : [current];
      let alerts = 0;
      for (const target of targets) {
        burst(r, steps, t + r.jitter(10 * MINUTE), 30 * MINUTE, (at, source, sig) => {
          if (at < endMs) {
            emit(at, source, sig, target, phaseId);
            alerts++;
          }
        });
      }
      const phaseRecord = { id: phaseId, title: phase.title, hosts: targets.map((h) => h.name).slice(0, 5), hostCount: targets.length, start: new Date(t).toISOString(), alerts };
      // The next phase: minutes later, or hours (a patient attacker), never before this one's alerts.
      t += 40 * MINUTE + (r.chance(0.3) ? r.int(2, 14) * HOUR : r.int(0, 90) * MINUTE);
      return phaseRecord;
    });
    return { id, title: chain.title, attacker, phases };
  });

  events.sort((a, b) => a.timeMs - b.timeMs || a.order - b.order);
  const lines = [];
  const attackAlerts = {};
  events.forEach((e, i) => {
    const id = `${name}-${pad(i + 1, 7)}`;
    lines.push(JSON.stringify({ id, timestamp: new Date(e.timeMs).toISOString(), source: e.source, name: e.name, host: e.host.name, host_ip: e.host.ip }));
    if (e.label !== undefined) attackAlerts[id] = e.label;
  });
  const labels = {
    network: name,
    scale,
    from: new Date(net.startMs).toISOString(),
    to: new Date(endMs).toISOString(),
    days: net.days,
    hosts: hosts.length,
    alerts: lines.length,
    attacks: attacks.map((a) => ({ ...a, phases: a.phases.filter((p) => p.alerts > 0) })),
    oddities: oddities.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0)),
    attackAlerts,
  };
  return { lines, labels };
}

/** The hosts of a network: roles, names and addresses of its own, and a few host-specific routine signatures. */
function estate(r, net) {
  const roles = [['web', 0.04], ['mail', 0.015], ['db', 0.04], ['server', 0.2], ['workstation', 1]];
  const hosts = [];
  for (let i = 0; i < net.hosts; i++) {
    const x = r.next();
    let cumulative = 0;
    const role = roles.find(([, share]) => x < (cumulative += share))?.[0] ?? 'workstation';
    const prefix = { web: 'web', mail: 'mail', db: 'db', server: 'srv', workstation: 'ws' }[role];
    const specific = r.chance(0.25) ? sample(r, HOST_SPECIFIC, r.int(1, 2)).map((s) => ({ ...s, perHour: s.perHour * (0.5 + r.next()) })) : [];
    hosts.push({ name: `${prefix}-${pad(i + 1, 3)}.${net.domain}`, ip: `10.${net.subnet}.${Math.floor(i / 200)}.${(i % 200) + 10}`, role, specific });
  }
  // Every network has at least two web servers, a mail server and a database.
  for (const [i, role] of [[0, 'web'], [1, 'web'], [2, 'mail'], [3, 'db']]) {
    const prefix = role === 'web' ? 'web' : role;
    hosts[i] = { ...hosts[i], role, name: `${prefix}-${pad(i + 1, 3)}.${net.domain}` };
  }
  return hosts;
}

/** The rate multiplier of a rhythm at an hour: office hours on weekdays, a flat rate, or a nightly job at the host's hour. */
function rhythmAt(rhythm, hourMs, jobHour) {
  const date = new Date(hourMs);
  const hour = date.getUTCHours();
  const weekday = date.getUTCDay() >= 1 && date.getUTCDay() <= 5;
  if (rhythm === 'office') return weekday && hour >= 8 && hour < 18 ? 1 : weekday && hour >= 7 && hour < 20 ? 0.3 : 0.05;
  if (rhythm === 'nightly') return hour === jobHour ? 4 : 0.05;
  return 1;
}

/** The alerts of a burst of steps, within `spanMs` from `at`. */
function burst(r, steps, at, spanMs, emit) {
  for (const [source, name, min, max] of steps) {
    const n = r.int(min, max);
    for (let i = 0; i < n; i++) emit(at + r.jitter(spanMs) + i * SECOND, source, name);
  }
}

function poisson(r, mean) {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(r)));
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = r.next(); p > limit; p *= r.next()) k++;
  return k;
}

function gaussian(r) {
  return Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
}

/** `n` distinct elements of `list`, in a random order. */
function sample(r, list, n) {
  const copy = [...list];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(r.next() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, Math.min(n, copy.length));
}

/** Writes `<out>/<network>/alerts.ndjson` and `labels.json` for both networks. */
export function writeEvalData(out, options = {}) {
  const written = {};
  for (const name of Object.keys(NETWORKS)) {
    const { lines, labels } = generateNetwork(name, options);
    const dir = join(out, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'alerts.ndjson'), `${lines.join('\n')}\n`);
    writeFileSync(join(dir, 'labels.json'), `${JSON.stringify(labels, null, 1)}\n`);
    written[name] = { dir, alerts: lines.length, attackAlerts: Object.keys(labels.attackAlerts).length, phases: labels.attacks.reduce((n, a) => n + a.phases.length, 0) };
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const option = (flag, fallback) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : fallback);
  const out = option('--out', join(import.meta.dirname, '..', 'out', 'eval-data'));
  const seed = option('--seed', undefined);
  const written = writeEvalData(out, { scale: option('--scale', 'full'), ...(seed !== undefined ? { seed: Number(seed) } : {}) });
  for (const [name, w] of Object.entries(written)) console.log(`${name}: ${w.alerts} alerts (${w.attackAlerts} attack-caused, ${w.phases} phases) in ${w.dir}`);
}
