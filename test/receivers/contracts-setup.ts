/**
 * Vitest globalSetup (unit project): finds the vendors' published API contracts (Slack, PagerDuty,
 * Jira) that the receiver tests check every request against: ALERTGATE_CONTRACTS, else
 * `../shared/contracts` beside the repository's checkout, else `shared/contracts` in a directory further
 * up (./contracts-dir.ts). Without them the contract suites are skipped with one line; with CI=true
 * that is an error naming every directory looked in.
 *
 * Tests read the directory through `inject('contractsDir')` ('' when missing).
 */
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { findContracts } from './contracts-dir.js';
import { CONTRACT_FILES } from './prism.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The directory holding the vendors' contracts; '' when they are missing (contract suites skip). */
    contractsDir: string;
  }
}

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export default function setup(project: TestProject): void {
  const found = findContracts(REPO, Object.values(CONTRACT_FILES), process.env);
  if ('dir' in found) {
    project.provide('contractsDir', found.dir);
    return;
  }
  const why = `${found.missing.join(', ')} not found; looked in ${found.looked.join(', ')}`;
  if (/^(true|1)$/i.test(process.env.CI ?? '')) {
    throw new Error(`[contracts] CI=true and the vendors' API contracts are missing: ${why}. Check out shared/ beside the repository or set ALERTGATE_CONTRACTS.`);
  }
  console.warn(`[contracts] receiver contract suites skipped: ${why} (set ALERTGATE_CONTRACTS=<dir>).`);
  project.provide('contractsDir', '');
}
