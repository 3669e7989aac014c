/**
 * The contract check of the receiver tests: Stoplight Prism, in proxy mode with --errors, sits between
 * a receiver and a stateful fake of the vendor (a real HTTP server on loopback, ./fake-server.ts).
 * Prism validates every request against the vendor's published contract (422 or 4xx when it breaks it,
 * and the request never reaches the fake) and every answer of the fake (500 with sl-violations when
 * the fake strays from the contract, so the fakes cannot drift into answers the vendor never gives).
 *
 * Proxy rather than `prism mock`: a mock answers from examples, so a retried send could not find what
 * the first one made, and a forced `Prefer: code=429` has no Retry-After header (the contracts define
 * none); the fakes keep state and send Retry-After, and Prism still checks both directions.
 *
 * The contracts are the vendors' documents as published (shared/contracts), with two adjustments made
 * here, each because the document is older than the API it describes:
 * - Slack: the document declares the token as a required `token` header and the read methods
 *   (conversations.history, conversations.list) as GET only. Slack takes the token as
 *   `Authorization: Bearer` (the document's own oauth2 security scheme, which Prism still enforces:
 *   401 without it) and every method as a form POST, which is how @slack/web-api calls all of them.
 *   So the `token` header parameter is dropped and each GET-only method gets a POST twin with the same
 *   parameters as form fields and the same responses. And Slack answers a failed call with HTTP 200
 *   and `{"ok": false, "error": ...}` (its documentation's words), while the document puts that error
 *   schema under `default` only: a 200 may be either of the method's two schemas.
 * - Jira: GET /rest/api/3/search/jql (contracts/jira-search-jql.overlay.json) is added when missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';

export const CONTRACT_FILES = {
  slack: 'slack-web-api.openapi-v2.json',
  pagerduty: 'pagerduty-events-v2.openapi.json',
  jira: 'jira-cloud-platform.openapi.json',
} as const;
export type Vendor = keyof typeof CONTRACT_FILES;

const PRISM = createRequire(import.meta.url).resolve('@stoplight/prism-cli/dist/index.js');
/** Prism reads a 2 MB document (Jira) in a few seconds; a loaded machine may take much longer. */
const START_TIMEOUT_MS = 90_000;

type Json = Record<string, unknown>;

/** The Slack document as @slack/web-api calls it (see the module comment). */
function slackForClient(doc: Json): Json {
  const paths = doc.paths as Record<string, Record<string, Json>>;
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      if (Array.isArray(operation.parameters)) {
        operation.parameters = (operation.parameters as Json[]).filter((p) => !(p.in === 'header' && p.name === 'token'));
      }
    }
    for (const operation of Object.values(operations)) {
      const responses = operation.responses as Record<string, { schema?: Json }> | undefined;
      const success = responses?.['200']?.schema;
      const error = responses?.default?.schema;
      if (success && error) responses!['200'] = { ...responses!['200'], schema: { anyOf: [success, error] } };
    }
    if (operations.get && !operations.post) {
      const get = operations.get;
      operations.post = {
        ...get,
        operationId: `${String(get.operationId)}_post`,
        consumes: ['application/x-www-form-urlencoded'],
        parameters: ((get.parameters as Json[] | undefined) ?? []).map((p) => (p.in === 'query' ? { ...p, in: 'formData' } : p)),
      };
    }
  }
  return doc;
}

function jiraForClient(doc: Json): Json {
  const paths = doc.paths as Json;
  const overlay = JSON.parse(readFileSync(join(import.meta.dirname, 'contracts', 'jira-search-jql.overlay.json'), 'utf8')) as { paths: Json };
  for (const [path, item] of Object.entries(overlay.paths)) if (!(path in paths)) paths[path] = item;
  return doc;
}

/** The contract file Prism serves for a vendor: the published one, or its adjusted copy in a temp dir. */
export function contractFor(vendor: Vendor, contractsDir: string): string {
  const published = join(contractsDir, CONTRACT_FILES[vendor]);
  if (vendor === 'pagerduty') return published;
  const doc = JSON.parse(readFileSync(published, 'utf8')) as Json;
  const adjusted = vendor === 'slack' ? slackForClient(doc) : jiraForClient(doc);
  const file = join(tempDir('alertgate-contract-'), CONTRACT_FILES[vendor]);
  writeFileSync(file, JSON.stringify(adjusted));
  return file;
}

export interface ContractProxy {
  /** Prism's base URL (no trailing slash). */
  readonly url: string;
  /** Prism's log so far (requests, violations). */
  log(): string;
  close(): Promise<void>;
}

/** Starts `prism proxy <contract> <upstream> --errors` on a free loopback port. */
export async function startContractProxy(contract: string, upstream: string): Promise<ContractProxy> {
  const child: ChildProcess = spawn(process.execPath, [PRISM, 'proxy', contract, upstream, '--errors', '-p', '0', '-h', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`prism did not start within ${START_TIMEOUT_MS} ms:\n${log}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const listening = /Prism is listening on (http:\/\/[^\s]+)/.exec(log);
      if (listening) {
        clearTimeout(timer);
        resolve(listening[1]!.replace(/\/$/, ''));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`prism exited (${code}) before listening:\n${log}`));
    });
  });
  return {
    url,
    log: () => log,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
