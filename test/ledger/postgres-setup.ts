/**
 * Vitest globalSetup for the ledger's PostgreSQL suites: finds the test database (ALERTGATE_TEST_POSTGRES,
 * default postgres://postgres@127.0.0.1:5432/test) and provides its URL to the tests, which each work
 * in a schema of their own (test/ledger/backends.ts). When it cannot be reached the PostgreSQL suites
 * are skipped with one line saying why; with CI=true that is an error instead.
 */
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The PostgreSQL URL for ledger tests; '' when PostgreSQL suites are skipped. */
    postgresUrl: string;
  }
}

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';
const isCI = /^(true|1)$/i.test(process.env.CI ?? '');

export default async function setup(project: TestProject): Promise<void> {
  const url = process.env.ALERTGATE_TEST_POSTGRES?.trim() || DEFAULT_URL;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
    project.provide('postgresUrl', url);
  } catch (err) {
    const why = `cannot connect to ${url.replace(/:[^:@/]*@/, ':***@')}: ${(err as Error).message}`;
    if (isCI) throw new Error(`[postgres] CI=true and the ledger's PostgreSQL tests cannot run: ${why}. Start PostgreSQL or set ALERTGATE_TEST_POSTGRES.`);
    console.warn(`[postgres] PostgreSQL ledger suites skipped: ${why} (set ALERTGATE_TEST_POSTGRES to a reachable database).`);
    project.provide('postgresUrl', '');
  } finally {
    await client.end().catch(() => undefined);
  }
}
