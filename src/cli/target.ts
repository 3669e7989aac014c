import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { ApiClient, ApiRequestError } from '../http/api-client.js';
import { ApiError } from '../http/api-error.js';
import type { Ledger } from '../ledger/ledger.js';
import { openLedger } from './ledger-cli.js';
import { UserError } from './setup.js';

/** Where a command reads and writes: the ledger itself, or a running worker's API. */
export interface TargetOptions {
  db?: string;
  dbSchema?: string;
  api?: string;
  token?: string;
  config?: string;
}

/** The options every ledger-or-API command takes. */
export function withTarget(command: Command, role: string): Command {
  return command
    .option('--db <ledger>', 'the ledger: a SQLite file or a postgres:// URL (default: ledger.url of --config, or ALERTGATE_LEDGER)')
    .option('--db-schema <schema>', 'PostgreSQL schema of the ledger')
    .option('--api <url>', "a running worker's API instead of the ledger (e.g. http://127.0.0.1:9464)")
    .option('--token <token>', `API token (${role}) for --api; better from ALERTGATE_API_TOKEN`)
    .option('--config <file>', 'config file whose ledger section to use');
}

export type Target =
  | { readonly kind: 'api'; readonly client: ApiClient; readonly where: string }
  | { readonly kind: 'db'; readonly ledger: Ledger; readonly config: Config | undefined; readonly where: string };

/** Opens --api (with its token) or --db (or the config's ledger.url); errors say which option is missing. */
export async function openTarget(opts: TargetOptions, options: { existing?: boolean } = {}): Promise<Target> {
  if (opts.api !== undefined) {
    if (opts.db !== undefined) throw new UserError('give --db or --api, not both');
    const token = opts.token ?? process.env.ALERTGATE_API_TOKEN;
    if (!token) throw new UserError('--api needs a token: --token or ALERTGATE_API_TOKEN');
    const client = new ApiClient(opts.api, token);
    return { kind: 'api', client, where: client.url };
  }
  const config = opts.db === undefined ? await loadConfig(opts.config, process.env, [], { receiverSecrets: false }) : undefined;
  const db = opts.db ?? config?.ledger.url;
  if (db === undefined) throw new UserError('no ledger: give --db <ledger> or --api <url>, or a config with ledger.url (or ALERTGATE_LEDGER)');
  const ledger = await openLedger(db, opts.dbSchema ?? config?.ledger.schema, options);
  return { kind: 'db', ledger, config, where: ledger.describe() };
}

/** An API refusal (4xx) is the user's to fix (exit 1); anything else is a runtime error. */
export function asUserError(where: string, err: unknown): unknown {
  return err instanceof ApiRequestError && err.status < 500 ? new UserError(`${where}: ${err.message}`) : err;
}

/** A request to the worker's API: its refusal (4xx) becomes the user's error, naming the worker. */
export async function callApi<T>(target: Extract<Target, { kind: 'api' }>, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    throw asUserError(target.where, err);
  }
}

/** Straight into the ledger: what the API would refuse (an ApiError below 500) is the user's error, naming the ledger. */
export function asLedgerUserError(where: string, err: unknown): unknown {
  return err instanceof ApiError && err.status < 500 ? new UserError(`${where}: ${err.message}`) : err;
}
