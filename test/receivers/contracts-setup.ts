/**
 * Vitest globalSetup (unit project): finds the vendors' published API contracts (Slack, PagerDuty,
 * Jira) that the receiver tests check every request against, in `../shared/contracts` beside the
 * repository's checkout (ALERTGATE_CONTRACTS to use another directory). Without them the contract
 * suites are skipped with one line; with CI=true that is an error instead.
 *
 * Tests read the directory through `inject('contractsDir')` ('' when missing).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { CONTRACT_FILES } from './prism.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The directory holding the vendors' contracts; '' when they are missing (contract suites skip). */
    contractsDir: string;
  }
}

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export default function setup(project: TestProject): void {
  const dir = process.env.ALERTGATE_CONTRACTS?.trim() || resolve(REPO, '..', 'shared', 'contracts');
  const missing = Object.values(CONTRACT_FILES).filter((file) => !existsSync(join(dir, file)));
  if (missing.length === 0) {
    project.provide('contractsDir', dir);
    return;
  }
  const why = `${missing.join(', ')} not found in ${dir}`;
  if (/^(true|1)$/i.test(process.env.CI ?? '')) {
    throw new Error(`[contracts] CI=true and the vendors' API contracts are missing: ${why}. Check out shared/ beside the repository or set ALERTGATE_CONTRACTS.`);
  }
  console.warn(`[contracts] receiver contract suites skipped: ${why} (set ALERTGATE_CONTRACTS=<dir>).`);
  project.provide('contractsDir', '');
}
