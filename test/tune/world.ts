import { join } from 'node:path';
import type { Verdict } from '../../src/feedback/feedback.js';
import type { IncidentRecord } from '../../src/incidents/index.js';
import { parseLedgerLocation } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { LedgerRecorder, recordingSinks } from '../../src/ledger/recorder.js';
import { createNormalizer } from '../../src/normalize/index.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import { alert, at, tempDir, writeRules } from '../helpers.js';

/** One burst of `size` alerts on its own host (an hour after the previous one), and the verdict its incident gets (null: unreviewed). */
export interface Burst {
  readonly size: number;
  readonly verdict: Verdict | null;
}

export interface TuningWorld {
  readonly rulesDir: string;
  /** The ledger's SQLite file. */
  readonly db: string;
  readonly ledger: Ledger;
  /** Burst i's incident is incidents[i] (one per host). */
  readonly incidents: readonly IncidentRecord[];
}

/**
 * A rules directory and a real SQLite ledger holding what the pipeline made of the bursts (host-0,
 * host-1, ...), with the verdicts given: what the tuner reads in production.
 */
export async function tuningWorld(files: Record<string, unknown>, bursts: readonly Burst[], now = () => Date.UTC(2026, 11, 1)): Promise<TuningWorld> {
  const rulesDir = writeRules(files);
  const db = join(tempDir(), 'ledger.sqlite');
  const ledger = await Ledger.open(parseLedgerLocation(db), { now });
  const recorder = new LedgerRecorder(ledger, { source: 'test' });
  const incidents: IncidentRecord[] = [];
  const pipeline = new Pipeline({
    ruleset: await loadRulesOrThrow(rulesDir),
    normalize: createNormalizer({ format: 'canonical' }),
    sinks: recordingSinks({ decision: () => {}, incident: (r) => incidents.push(r), deadLetter: () => {} }, recorder),
  });
  const lines = bursts.flatMap((b, h) => Array.from({ length: b.size }, (_, k) => alert({ id: `h${h}-${k}`, time: at(h * 60 + k * 0.1), entities: { host: `host-${h}` } })));
  pipeline.processBatch(lines.map((a, i) => ({ line: i + 1, text: JSON.stringify(a) })));
  pipeline.finish();
  await recorder.flush();
  incidents.sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : 1));
  for (const [i, b] of bursts.entries()) {
    if (b.verdict !== null) await ledger.addFeedback({ incidentId: incidents[i]!.id, verdict: b.verdict, reason: 'test', analyst: 'ana' }, 'test');
  }
  return { rulesDir, db, ledger, incidents };
}
