import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { findContracts } from './contracts-dir.js';

const FILES = ['slack.json', 'pagerduty.json'];

function contractsIn(dir: string): string {
  const at = join(dir, 'shared', 'contracts');
  mkdirSync(at, { recursive: true });
  for (const f of FILES) writeFileSync(join(at, f), '{}');
  return at;
}

describe('finding the vendors\' contracts', () => {
  it('takes <repo>/../shared/contracts first, as in a developer\'s checkout beside shared/', () => {
    const root = tempDir('alertgate-contracts-');
    contractsIn(root);
    const near = contractsIn(join(root, 'wt'));
    const repo = join(root, 'wt', 'alertgate');
    mkdirSync(repo, { recursive: true });
    expect(findContracts(repo, FILES, {})).toEqual({ dir: near });
  });

  it('walks up from a fresh clone deeper down (CI) to the shared/contracts a parent holds', () => {
    const root = tempDir('alertgate-contracts-');
    const far = contractsIn(root);
    const repo = join(root, 'ci', 'run-17', 'alertgate');
    mkdirSync(repo, { recursive: true });
    expect(findContracts(repo, FILES, {})).toEqual({ dir: far });
  });

  it('skips a shared/contracts that lacks a contract and goes on up', () => {
    const root = tempDir('alertgate-contracts-');
    const far = contractsIn(root);
    mkdirSync(join(root, 'ci', 'shared', 'contracts'), { recursive: true });
    writeFileSync(join(root, 'ci', 'shared', 'contracts', 'slack.json'), '{}');
    const repo = join(root, 'ci', 'alertgate');
    expect(findContracts(repo, FILES, {})).toEqual({ dir: far });
  });

  it('ALERTGATE_CONTRACTS wins, and is the only place looked when set', () => {
    const root = tempDir('alertgate-contracts-');
    contractsIn(root);
    const named = contractsIn(join(root, 'elsewhere'));
    const repo = join(root, 'alertgate');
    expect(findContracts(repo, FILES, { ALERTGATE_CONTRACTS: named })).toEqual({ dir: named });
    const empty = tempDir('alertgate-contracts-empty-');
    expect(findContracts(repo, FILES, { ALERTGATE_CONTRACTS: empty })).toEqual({ looked: [empty], missing: FILES });
  });

  it('missing everywhere: names every directory looked in, nearest first, and the files missing', () => {
    const repo = '/nowhere/a/alertgate';
    const found = findContracts(repo, FILES, {}, () => false);
    expect(found).toEqual({ looked: ['/nowhere/a/shared/contracts', '/nowhere/shared/contracts', '/shared/contracts'], missing: FILES });
  });
});
