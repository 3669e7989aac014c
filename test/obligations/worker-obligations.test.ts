import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { caseIdOf } from '../../src/cases/case-id.js';
import { openWorkerCases } from '../../src/cli/worker-cases.js';
import { loadConfig } from '../../src/config/load.js';
import { parseLedgerLocation } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { WorkerMetrics } from '../../src/metrics/metrics.js';
import { writeEscalation } from '../escalation/fixtures.js';
import { tempDir } from '../helpers.js';
import { incidentRecord } from '../ledger/fixtures.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);
const OBLIGATIONS = `obligations:
  - name: gdpr
    title: Notify the supervisory authority
    when: { flag: [personal-data] }
    within: { hours: 72 }
    notify: [dpo-email]
    remind: [24h]
`;

async function worker(extra: string) {
  const dir = tempDir('alertgate-worker-obligations-');
  writeFileSync(join(dir, 'obligations.yaml'), OBLIGATIONS);
  const configFile = join(dir, 'alertgate.yaml');
  writeFileSync(configFile, `escalation:\n  file: ${writeEscalation()}\nobligations:\n  file: ${join(dir, 'obligations.yaml')}\n${extra}`);
  const config = await loadConfig(configFile, {});
  const clock = { now: T0 };
  const ledger = await Ledger.open(parseLedgerLocation(join(dir, 'ledger.sqlite')), { now: () => clock.now });
  const log = pino({ level: 'silent' });
  return { dir, config, clock, ledger, open: () => openWorkerCases(config, ledger, log, createAuditLog(log), { now: () => clock.now }) };
}

describe('obligations in a worker', () => {
  it('a worker whose obligations file names a receiver it does not configure does not start, naming it', async () => {
    const w = await worker('');
    try {
      await expect(w.open()).rejects.toThrow(/receivers named by .*escalation\.yaml and .*obligations\.yaml are not configured: ciso-email, dpo-email, pager-primary, pager-secondary, soc-slack/);
    } finally {
      await w.ledger.close();
    }
  });

  it('the dispatcher round starts the clock of a flagged case, sends its notice and reminder through the receivers; the metrics show the time left', async () => {
    // Every receiver the files name, as webhooks in a dry run: each writes its request to the capture file.
    const capture = join(tempDir('alertgate-capture-'), 'notifications.ndjson');
    const named = ['soc-slack', 'pager-primary', 'pager-secondary', 'ciso-email', 'dpo-email'].map((n) => `    ${n}: { type: webhook, url: "https://hooks.example.com/${n}" }\n`).join('');
    const w = await worker(`receivers:\n  capture: ${capture}\n  named:\n${named}`);
    const cases = await w.open();
    try {
      const first = incidentRecord({ n: 1, severity: 'high' });
      const caseId = caseIdOf(first.id);
      await w.ledger.writeBatch({ incidents: [{ ...first, caseId }], openings: [], counts: [], source: 's' });
      await w.ledger.cases.act(caseId, 'flag', { actor: 'cli:dpo', flag: 'personal-data' });
      await cases.dispatcher.round();
      const metrics = new WorkerMetrics({ now: () => w.clock.now });
      metrics.attachLedger(w.ledger, { precisionHorizonMs: 30 * 24 * HOUR });
      expect(await metrics.registry.metrics()).toContain('alertgate_obligation_due_seconds{obligation="gdpr"} 259200\n');
      w.clock.now = T0 + 48 * HOUR;
      await cases.dispatcher.round();
      const sent = readFileSync(capture, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { receiver: string; kind: string; request: { body: string } })
        .filter((l) => l.receiver === 'dpo-email');
      expect(sent.map((l) => [l.kind, (JSON.parse(l.request.body) as { notice: { summary: string } }).notice.summary])).toEqual([
        ['update', 'Obligation started: Notify the supervisory authority. Due 2026-11-23T10:00:00Z (72 h from 2026-11-20T10:00:00Z): flagged personal-data.'],
        ['reminder', 'Reminder: Notify the supervisory authority is due 2026-11-23T10:00:00Z, in 1d.'],
      ]);
    } finally {
      await cases.close();
      await w.ledger.close();
    }
  });
});
