// What the obligations clock adds to every dispatcher round (docs/obligations.md): over a ledger of N
// cases nobody touched since the clock last read them, one steady-state obligations tick beside one
// escalation tick (the baseline, which every round already takes), and the clock's first read of
// every case's timeline when an obligations file is configured on a ledger that has cases (500 a tick).
//   npm run build && node bench/obligations-round.mjs [cases]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Escalator } from '../dist/escalation/escalator.js';
import { loadEscalationOrThrow } from '../dist/escalation/load.js';
import { incidentId } from '../dist/incidents/index.js';
import { caseIdOf } from '../dist/cases/case-id.js';
import { parseLedgerLocation } from '../dist/ledger/connect.js';
import { Ledger } from '../dist/ledger/ledger.js';
import { ObligationKeeper } from '../dist/obligations/keeper.js';
import { loadObligationsOrThrow } from '../dist/obligations/load.js';

const CASES = Number(process.argv[2] ?? 20_000);
const ROOT = join(import.meta.dirname, '..');
const T0 = Date.UTC(2026, 0, 1);
const dir = mkdtempSync(join(tmpdir(), 'alertgate-bench-obligations-'));
const now = () => T0 + 400 * 86_400_000;
const ledger = await Ledger.open(parseLedgerLocation(join(dir, 'ledger.sqlite')), { now });
try {
  for (let i = 0; i < CASES; i += 1000) {
    const incidents = [];
    for (let n = i; n < Math.min(CASES, i + 1000); n++) {
      const firstSeen = new Date(T0 + n * 60_000).toISOString();
      const id = incidentId('r1', `g${n}`, Date.parse(firstSeen));
      incidents.push({ id, caseId: caseIdOf(id), ruleId: 'r1', ruleVersion: 1, title: `Incident ${n}`, severity: n % 10 === 0 ? 'high' : 'medium', category: 'malware', groupKey: { 'entities.host': `h${n}` }, firstSeen, lastSeen: firstSeen, alertCount: 1, alertIds: [`a${n}`], alertIdsTruncated: false, status: 'closed', facts: {} });
    }
    await ledger.writeBatch({ incidents, openings: [], counts: [], source: 'bench' });
  }
  const escalator = new Escalator({ cases: ledger.cases, escalation: await loadEscalationOrThrow(join(ROOT, 'escalation.yaml')), now });
  const keeper = new ObligationKeeper({ store: ledger.obligations, policy: await loadObligationsOrThrow(join(ROOT, 'obligations.yaml')), now });
  const time = async (fn, runs) => {
    const samples = [];
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      await fn();
      samples.push(performance.now() - t);
    }
    return samples.sort((a, b) => a - b)[Math.floor(runs / 2)];
  };
  // The first read, a bounded number of cases per tick: how many ticks, the longest one, all of them.
  const catchUp = [];
  while ((await ledger.obligations.casesToRead(1)).length > 0) catchUp.push(await time(() => keeper.tick(), 1));
  await escalator.tick();
  const escalation = await time(() => escalator.tick(), 51);
  const obligations = await time(() => keeper.tick(), 51);
  console.log(
    JSON.stringify({
      cases: CASES,
      firstRead: { ticks: catchUp.length, longestTickMs: Math.round(Math.max(...catchUp)), totalMs: Math.round(catchUp.reduce((a, b) => a + b, 0)) },
      steadyState: { escalationTickMs: +escalation.toFixed(2), obligationsTickMs: +obligations.toFixed(2), ratio: +(obligations / escalation).toFixed(2) },
    }),
  );
} finally {
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
}
