#!/usr/bin/env node
// A labelled alert stream for the feedback-and-tuning loop: two working weeks (a training week and
// a held-out week, the same scenarios with different seeds), each alert's scenario known, each
// scenario labelled as an analyst would label its incidents. Threshold rules of the starter pack fire
// on real attacks and on noise that sits just above their thresholds, which is what tuning can cut.
//
//   node scripts/tuning-fixture.mjs <outDir>    writes train.ndjson, holdout.ndjson, truth.json
//
// Deterministic: seeded randomness, fixed base times, no clock.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alertAt, calendar, host, MIB, MINUTE, pad, randomness, SECOND, WORKSTATIONS } from './fixture-kit.mjs';

const DAYS = 5;
export const WEEKS = {
  train: { seed: 4_100_001, baseMs: Date.UTC(2026, 10, 2) }, // Monday 2026-11-02
  holdout: { seed: 4_200_002, baseMs: Date.UTC(2026, 10, 9) }, // Monday 2026-11-09
};

/** Each scenario: its label (what the analysts conclude about its incidents), why, and its alerts. */
const SCENARIOS = [
  {
    name: 'background',
    label: 'false_positive',
    reason: 'background noise',
    generate(r, { anyTime }) {
      const names = ['ET INFO Observed DNS Query to .cloud TLD', 'SURICATA STREAM excessive retransmissions', 'ET USER_AGENTS Go HTTP Client User-Agent'];
      return Array.from({ length: 1200 }, () => {
        const h = r.pick(WORKSTATIONS);
        return alertAt(anyTime(r), { source: 'suricata', name: r.pick(names), severity: r.pick(['info', 'low']), category: 'other', entities: { src_ip: h.ip, host: h.host, dst_ip: `198.51.100.${r.int(1, 254)}` }, tags: ['ids'] });
      });
    },
  },
  {
    name: 'stale-service-password',
    label: 'false_positive',
    reason: 'service account retrying with a stale password after a rotation; not an attack',
    // 2–3 episodes a day: a monitoring or batch host retrying 21–34 times within minutes.
    generate(r, { at }) {
      const out = [];
      for (let day = 0; day < DAYS; day++) {
        for (let e = r.int(2, 3); e > 0; e--) {
          const src = `10.0.7.${r.int(10, 60)}`;
          const user = r.pick(['svc-monitor', 'svc-batch', 'svc-report', 'svc-sync']);
          let t = at(day, r.int(0, 23), r.int(0, 59));
          const tries = r.chance(0.8) ? r.int(21, 28) : r.int(30, 34);
          for (let i = 0; i < tries; i++) {
            t += r.int(5, 15) * SECOND;
            out.push(alertAt(t, { source: 'wazuh', name: 'sshd: authentication failed.', severity: 'low', category: 'unauthorized-access', entities: { src_ip: src, host: r.pick(['app-01', 'app-02', 'db-01']), user }, tags: ['sshd', 'auth-failure'] }));
          }
        }
      }
      return out;
    },
  },
  {
    name: 'ssh-bruteforce',
    label: 'true_positive',
    reason: 'brute force from the internet against the bastion',
    generate(r, { at }) {
      const out = [];
      const src = `203.0.113.${r.int(60, 90)}`;
      let t = at(r.int(0, DAYS - 1), r.int(0, 5), r.int(0, 59));
      for (let i = 0; i < 300; i++) {
        t += r.int(2, 8) * SECOND;
        out.push(alertAt(t, { source: 'wazuh', name: 'sshd: authentication failed.', severity: 'low', category: 'unauthorized-access', entities: { src_ip: src, host: 'bastion-01', user: r.pick(['root', 'admin', 'ubuntu', 'oracle']) }, tags: ['sshd', 'auth-failure'] }));
      }
      return out;
    },
  },
  {
    name: 'password-spray',
    label: 'true_positive',
    reason: 'password spraying against the identity provider',
    generate(r, { at }) {
      const out = [];
      const src = `192.0.2.${r.int(100, 200)}`;
      let t = at(r.int(0, DAYS - 1), r.int(8, 18));
      for (let u = 1; u <= 40; u++) {
        t += r.int(5, 25) * SECOND;
        out.push(alertAt(t, { source: 'azure-ad', name: 'Sign-in failure (50126 invalid username or password)', severity: 'low', category: 'unauthorized-access', entities: { src_ip: src, user: `user${pad(u, 3)}@corp.example` }, tags: ['logon-failure', 'idp'] }));
      }
      return out;
    },
  },
  {
    name: 'health-probe',
    label: 'false_positive',
    reason: 'the load balancer health checker trips the web signature',
    // 3–4 bursts a day of 21–29 probes within 5 minutes against one web server.
    generate(r, { at }) {
      const out = [];
      for (let day = 0; day < DAYS; day++) {
        for (let b = r.int(3, 4); b > 0; b--) {
          const target = r.pick(['10.0.1.10', '10.0.1.11', '10.0.1.12', '10.0.1.13']);
          let t = at(day, r.int(0, 23), r.int(0, 59));
          for (let i = r.int(21, 29); i > 0; i--) {
            t += r.int(3, 9) * SECOND;
            out.push(alertAt(t, { source: 'suricata', name: 'ET WEB_SERVER Suspicious User-Agent (health probe)', severity: 'low', category: 'unauthorized-access', entities: { src_ip: '10.0.0.5', dst_ip: target, dst_port: '443' }, tags: ['ids', 'web'] }));
          }
        }
      }
      return out;
    },
  },
  {
    name: 'sqli-burst',
    label: 'true_positive',
    reason: 'automated SQL injection against the shop',
    generate(r, { at }) {
      const out = [];
      let t = at(r.int(0, DAYS - 1), r.int(9, 17), r.int(0, 59));
      for (let i = 0; i < 60; i++) {
        t += r.int(2, 5) * SECOND;
        out.push(alertAt(t, { source: 'suricata', name: 'ET WEB_SERVER Possible SQL Injection Attempt UNION SELECT', severity: 'low', category: 'unauthorized-access', entities: { src_ip: `203.0.113.${r.int(200, 220)}`, dst_ip: '10.0.1.12', dst_port: '443' }, tags: ['ids', 'web'] }));
      }
      return out;
    },
  },
  {
    name: 'asset-discovery',
    label: 'benign_positive',
    reason: 'the IT asset-discovery scanner: a real scan, expected',
    // Twice a day: 105–140 ports of one server from the discovery host.
    generate(r, { at }) {
      const out = [];
      for (let day = 0; day < DAYS; day++) {
        for (const hour of [r.int(1, 5), r.int(13, 17)]) {
          const target = r.pick(['10.0.2.10', '10.0.2.11', '10.0.3.10', '10.0.4.10']);
          let t = at(day, hour, r.int(0, 59));
          for (let p = r.int(105, 140); p > 0; p--) {
            t += r.int(1, 3) * SECOND;
            out.push(alertAt(t, { source: 'suricata', name: 'ET SCAN Potential internal port sweep', severity: 'low', category: 'recon', entities: { src_ip: '10.0.8.20', dst_ip: target, dst_port: String(1000 + p) }, tags: ['ids', 'scan'] }));
          }
        }
      }
      return out;
    },
  },
  {
    name: 'portscan',
    label: 'true_positive',
    reason: 'a deliberate vertical scan from the internet',
    generate(r, { at }) {
      const out = [];
      const src = `45.155.205.${r.int(10, 200)}`;
      let t = at(r.int(0, DAYS - 1), r.int(0, 23), r.int(0, 59));
      for (let p = 1; p <= 300; p++) {
        t += r.int(300, 1500);
        out.push(alertAt(t, { source: 'suricata', name: 'ET SCAN Suspicious inbound connection attempt', severity: 'low', category: 'recon', entities: { src_ip: src, dst_ip: '10.0.1.10', dst_port: String(p) }, tags: ['ids', 'scan'] }));
      }
      return out;
    },
  },
  {
    name: 'nightly-backup-upload',
    label: 'false_positive',
    reason: 'the nightly off-site backup upload from backup-01',
    // Every night, 520–700 MiB within 10 minutes to the backup provider.
    generate(r, { at }) {
      const out = [];
      const backup = host('backup-01');
      for (let day = 0; day < DAYS; day++) {
        let t = at(day, 2, r.int(0, 30));
        const chunks = 6;
        const total = r.int(520, 700) * MIB;
        for (let i = 0; i < chunks; i++) {
          t += r.int(30, 80) * SECOND;
          out.push(alertAt(t, { source: 'zeek', name: 'Large outbound transfer', severity: 'low', category: 'data-breach', entities: { host: backup.host, src_ip: backup.ip, dst_ip: '203.0.113.50' }, tags: ['netflow'], raw: { bytes_out: Math.floor(total / chunks) } }));
        }
      }
      return out;
    },
  },
  {
    name: 'data-exfiltration',
    label: 'true_positive',
    reason: 'data staged and sent out from an application server',
    generate(r, { at }) {
      const out = [];
      const victim = host(r.pick(['app-03', 'app-04', 'app-05']));
      let t = at(r.int(0, DAYS - 1), r.int(19, 23), r.int(0, 59));
      for (let i = 0; i < 10; i++) {
        t += r.int(20, 40) * SECOND;
        out.push(alertAt(t, { source: 'zeek', name: 'Large outbound transfer', severity: 'low', category: 'data-breach', entities: { host: victim.host, src_ip: victim.ip, dst_ip: `91.215.85.${r.int(1, 250)}` }, tags: ['netflow'], raw: { bytes_out: r.int(80, 150) * MIB } }));
      }
      return out;
    },
  },
];

/** One week: NDJSON lines in event-time order, and each scenario's label, reason and alert ids. */
export function tuningWeek(week) {
  const { seed, baseMs } = WEEKS[week];
  const clock = calendar(baseMs, DAYS);
  const items = [];
  SCENARIOS.forEach((scenario, index) => {
    const r = randomness(seed + 1000 * (index + 1));
    for (const { timeMs, alert } of scenario.generate(r, clock)) items.push({ timeMs, alert, scenario: scenario.name, order: items.length });
  });
  items.sort((a, b) => a.timeMs - b.timeMs || a.order - b.order);
  const prefix = week === 'train' ? 'tr' : 'ho';
  const scenarios = Object.fromEntries(SCENARIOS.map((s) => [s.name, { label: s.label, reason: s.reason, alertIds: [] }]));
  const lines = items.map((item, i) => {
    const id = `${prefix}-${pad(i + 1, 5)}`;
    scenarios[item.scenario].alertIds.push(id);
    return JSON.stringify({ id, ...item.alert });
  });
  return { lines, truth: { week, baseTime: new Date(baseMs).toISOString(), days: DAYS, alerts: lines.length, scenarios } };
}

function scenarioIndex(truth) {
  return new Map(Object.entries(truth.scenarios).flatMap(([name, s]) => s.alertIds.map((id) => [id, name])));
}

/** The scenario most of an incident's alerts come from, and its label. */
function classify(incident, scenarioOf, truth) {
  const tally = new Map();
  for (const id of incident.alertIds) tally.set(scenarioOf.get(id), (tally.get(scenarioOf.get(id)) ?? 0) + 1);
  const scenario = [...tally].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
  return { scenario, label: truth.scenarios[scenario].label };
}

/** Per rule: incidents by label; and which true-positive scenarios some incident covers. */
export function tallyIncidents(incidents, truth) {
  const scenarioOf = scenarioIndex(truth);
  const byRule = {};
  const detected = new Set();
  for (const incident of incidents) {
    const { label } = classify(incident, scenarioOf, truth);
    const r = (byRule[incident.ruleId] ??= { true_positive: 0, benign_positive: 0, false_positive: 0 });
    r[label]++;
    for (const id of incident.alertIds) if (truth.scenarios[scenarioOf.get(id)].label === 'true_positive') detected.add(scenarioOf.get(id));
  }
  return { byRule, detected: [...detected].sort() };
}

/**
 * Simulated analysts: a verdict from the ground truth for 4 of every 5 incidents (which ones: by a
 * hash of the id, so it is the same every run), given 10 minutes to 8 hours after the incident's
 * last alert (also from the hash), as feedback import lines.
 */
export function simulatedVerdicts(incidents, truth) {
  const scenarioOf = scenarioIndex(truth);
  return incidents.flatMap((incident) => {
    const hash = createHash('sha256').update(incident.id).digest();
    if (hash[0] % 5 === 0) return [];
    const { scenario, label } = classify(incident, scenarioOf, truth);
    const at = new Date(Date.parse(incident.lastSeen) + (10 + (hash.readUInt16BE(1) % 470)) * MINUTE).toISOString();
    return [{ incidentId: incident.id, verdict: label, reason: truth.scenarios[scenario].reason, analyst: 'simulated-analyst', at }];
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outDir = process.argv[2];
  if (!outDir) {
    process.stderr.write('usage: node scripts/tuning-fixture.mjs <outDir>\n');
    process.exit(2);
  }
  mkdirSync(outDir, { recursive: true });
  const truth = {};
  for (const week of Object.keys(WEEKS)) {
    const { lines, truth: t } = tuningWeek(week);
    writeFileSync(join(outDir, `${week}.ndjson`), `${lines.join('\n')}\n`);
    truth[week] = t;
  }
  writeFileSync(join(outDir, 'truth.json'), `${JSON.stringify(truth, null, 1)}\n`);
  process.stdout.write(`wrote train.ndjson (${truth.train.alerts} alerts), holdout.ndjson (${truth.holdout.alerts} alerts) and truth.json to ${outDir}\n`);
}
