// The benchmarks' generated alert stream: signatures, entities and byte counts in the proportions of a
// busy SOC, mostly noise (policy signatures), some scans, brute force and exploits. Seeded.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mulberry32, pick } from '../scripts/prng.mjs';

const SIGNATURES = [
  ...Array.from({ length: 150 }, (_, i) => ['ET POLICY signature ' + i, 'low', 'policy']),
  ...Array.from({ length: 40 }, (_, i) => ['ET SCAN probe ' + i, 'medium', 'recon']),
  ['sshd: authentication failed', 'low', 'unauthorized-access'],
  ['ET EXPLOIT Apache Struts RCE attempt', 'high', 'unauthorized-access'],
  ['ET MALWARE CobaltStrike beacon', 'critical', 'malware'],
];

/** Writes `count` canonical alerts (seeded: the same file on every machine) to `file`. */
export async function generateAlerts(file, count) {
  const random = mulberry32(7);
  const out = createWriteStream(file);
  const start = Date.UTC(2026, 10, 16);
  let t = start;
  for (let i = 0; i < count; i++) {
    t += Math.floor(random() * 600); // ~3.5 days of alerts at 1M
    const [name, severity, category] = pick(random, SIGNATURES);
    const line = JSON.stringify({
      id: `r-${i}`,
      time: new Date(t).toISOString(),
      source: pick(random, ['suricata', 'zeek', 'wazuh']),
      name,
      severity,
      category,
      entities: {
        src_ip: `198.51.${Math.floor(random() * 100)}.${Math.floor(random() * 250)}`,
        dst_ip: `10.0.${Math.floor(random() * 20)}.${Math.floor(random() * 250)}`,
        host: `host-${Math.floor(random() * 2000)}`,
        user: pick(random, ['root', 'admin', 'svc-backup', 'alice', 'bob']),
      },
      tags: ['bench'],
      raw: { bytes_out: Math.floor(random() * 100_000), dst_port: Math.floor(random() * 65535) },
    });
    if (!out.write(line + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
}

