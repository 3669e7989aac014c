// bench/ledger-count-once: what counting each alert id once costs the ledger's flushes (the Kafka
// worker's recorder, countEachAlertOnce) beside the plain hourly counts, on SQLite and, when
// ALERTGATE_TEST_POSTGRES (or the default test database) answers, PostgreSQL: the same decisions,
// the same flushes (one per 2,000-alert chunk, as the decider flushes before each commit), printed
// side by side with the ratio. Run after `npm run build`: node bench/ledger-count-once.mjs
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parseLedgerLocation } from '../dist/ledger/connect.js';
import { Ledger } from '../dist/ledger/ledger.js';
import { LedgerRecorder } from '../dist/ledger/recorder.js';

const DECISIONS = Number(process.env.BENCH_COUNT_ONCE_DECISIONS ?? 100_000);
const CHUNK = 2_000;
const PG_URL = process.env.ALERTGATE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const facts = (n) => ({ ruleId: n % 3 ? null : 'burst', decision: n % 3 ? 'pass' : 'promote', timeMs: Date.UTC(2026, 10, 20) + n * 1000, incidentId: undefined, opened: false, incident: undefined, alert: {} });

async function run(location, countEachAlertOnce) {
  const ledger = await Ledger.open(location);
  try {
    const recorder = new LedgerRecorder(ledger, { source: 'kafka:bench', countEachAlertOnce });
    const started = performance.now();
    for (let from = 0; from < DECISIONS; from += CHUNK) {
      for (let n = from; n < from + CHUNK; n++) recorder.decision('{}', `a-${n}`, facts(n));
      await recorder.flush();
    }
    return performance.now() - started;
  } finally {
    await ledger.close();
  }
}

async function postgresReachable() {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const schemas = [];
const backends = [['sqlite', () => parseLedgerLocation(join(mkdtempSync(join(tmpdir(), 'bench-count-once-')), 'ledger.sqlite'))]];
if (await postgresReachable()) {
  backends.push(['postgres', () => {
    const schema = `bench_count_once_${process.pid}_${schemas.length}`;
    schemas.push(schema);
    return parseLedgerLocation(PG_URL, schema);
  }]);
} else console.log(`PostgreSQL at ${PG_URL} does not answer: SQLite only`);

for (const [name, location] of backends) {
  // Interleaved, best of three each, so a busy moment on a shared machine does not decide the ratio.
  const plain = [];
  const once = [];
  for (let round = 0; round < 3; round++) {
    plain.push(await run(location(), false));
    once.push(await run(location(), true));
  }
  const [p, o] = [Math.min(...plain), Math.min(...once)];
  console.log(`${name}: ${DECISIONS} decisions in ${DECISIONS / CHUNK} flushes: hourly counts ${p.toFixed(0)} ms, counted once by alert id ${o.toFixed(0)} ms (×${(o / p).toFixed(1)}; ${((o - p) * 1000 / DECISIONS).toFixed(1)} µs more per alert)`);
}
if (schemas.length > 0) {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  for (const schema of schemas) await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
}
