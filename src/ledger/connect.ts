import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { migrationProvider } from './migrations/index.js';
import type { LedgerTables } from './rows.js';

/** Where a ledger lives: a SQLite file (the embedded default) or a PostgreSQL database (several workers). */
export type LedgerLocation =
  | { readonly backend: 'sqlite'; readonly path: string }
  | { readonly backend: 'postgres'; readonly url: string; readonly schema: string };

const PG_URL = /^postgres(ql)?:\/\//i;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export class LedgerLocationError extends Error {
  override name = 'LedgerLocationError';
}

/**
 * `postgres://user@host:5432/db` (or postgresql://) is PostgreSQL, anything else a SQLite file path
 * (`sqlite:` in front is allowed; `:memory:` is an in-memory database). `schema` (PostgreSQL only,
 * default `public`) puts the tables in that schema, created if missing.
 */
export function parseLedgerLocation(text: string, schema?: string): LedgerLocation {
  if (PG_URL.test(text)) {
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
      throw new LedgerLocationError(`ledger schema "${schema}": use lowercase letters, digits and "_", starting with a letter or "_"`);
    }
    return { backend: 'postgres', url: text, schema: schema ?? 'public' };
  }
  const path = text.replace(/^sqlite:/i, '');
  if (path === '') throw new LedgerLocationError('ledger: empty SQLite path');
  if (schema !== undefined) throw new LedgerLocationError('ledger schema: only for PostgreSQL');
  return { backend: 'sqlite', path };
}

/** A ledger location for logs: a PostgreSQL URL without its password. */
export function describeLocation(location: LedgerLocation): string {
  if (location.backend === 'sqlite') return `sqlite:${location.path}`;
  try {
    const url = new URL(location.url);
    if (url.password) url.password = '***';
    return `${url.toString()} (schema ${location.schema})`;
  } catch {
    return 'postgres (unparseable URL)';
  }
}

/** Connects and brings the schema up to date (every migration in ./migrations, in order). */
export async function connect(location: LedgerLocation): Promise<Kysely<LedgerTables>> {
  const db = new Kysely<LedgerTables>({ dialect: dialectOf(location) });
  try {
    if (location.backend === 'postgres') await sql`create schema if not exists ${sql.id(location.schema)}`.execute(db);
    // Kysely looks for its migration tables by name in every schema unless told which one is ours.
    const migrator = new Migrator({ db, provider: migrationProvider, ...(location.backend === 'postgres' ? { migrationTableSchema: location.schema } : {}) });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName;
      throw new Error(`ledger migration${failed ? ` ${failed}` : ''} failed: ${(error as Error).message ?? String(error)}`);
    }
    return db;
  } catch (err) {
    await db.destroy();
    throw err;
  }
}

function dialectOf(location: LedgerLocation) {
  if (location.backend === 'sqlite') {
    if (location.path !== ':memory:') mkdirSync(dirname(location.path), { recursive: true });
    const database = new Database(location.path);
    // WAL lets readers (the API, `alertgate tune`) work while a worker writes; NORMAL is durable at each checkpoint.
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('busy_timeout = 5000');
    return new SqliteDialect({ database });
  }
  const pool = new pg.Pool({
    connectionString: location.url,
    max: 4,
    // Every connection resolves the ledger's tables in its schema (the name is checked by parseLedgerLocation).
    options: `-c search_path=${location.schema}`,
  });
  return new PostgresDialect({ pool });
}
