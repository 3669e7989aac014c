/**
 * Runs one ledger suite against both backends, for real: a SQLite file in a temp directory and the
 * PostgreSQL test database (test/ledger/postgres-setup.ts), each ledger in a schema of its own that
 * is dropped after the suite, so parallel runs and other worktrees never collide.
 *
 *   describeLedger('feedback', (fresh) => { it('...', async () => { const ledger = await fresh(); ... }) })
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, inject } from 'vitest';
import { parseLedgerLocation, type LedgerLocation } from '../../src/ledger/connect.js';
import { Ledger, type LedgerOptions } from '../../src/ledger/ledger.js';
import { tempDir } from '../helpers.js';

export type FreshLedger = (options?: LedgerOptions) => Promise<Ledger>;
export type BackendName = 'sqlite' | 'postgres';

export function postgresUrl(): string | undefined {
  return inject('postgresUrl') || undefined;
}

/** A location no other test uses: a new SQLite file, or a new PostgreSQL schema (remembered for dropping). */
export function freshLocation(backend: BackendName, schemas: string[]): LedgerLocation {
  if (backend === 'sqlite') return parseLedgerLocation(join(tempDir('alertgate-ledger-'), 'ledger.sqlite'));
  const schema = `ledger_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  schemas.push(schema);
  return parseLedgerLocation(postgresUrl()!, schema);
}

export async function dropSchemas(schemas: readonly string[]): Promise<void> {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: postgresUrl()! });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

/** The same suite, once per backend; the PostgreSQL one is skipped (with the setup's one line) when it is unreachable. */
export function describeLedger(name: string, suite: (fresh: FreshLedger, backend: BackendName) => void): void {
  for (const backend of ['sqlite', 'postgres'] as const) {
    describe.skipIf(backend === 'postgres' && !postgresUrl())(`${name} [${backend}]`, () => {
      const schemas: string[] = [];
      const opened: Ledger[] = [];
      afterAll(async () => {
        await Promise.all(opened.map((l) => l.close().catch(() => undefined)));
        await dropSchemas(schemas);
      });
      suite(async (options) => {
        const ledger = await Ledger.open(freshLocation(backend, schemas), options);
        opened.push(ledger);
        return ledger;
      }, backend);
    });
  }
}
