import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { editRuleText } from '../../src/tune/apply.js';
import { patchRoot, unifiedPatch } from '../../src/tune/patch.js';
import { tempDir } from '../helpers.js';
import { BURST_RULES } from './fixtures.js';
import { tuningWorld, type TuningWorld } from './world.js';

const BIN = join(import.meta.dirname, '../../bin/alertgate.js');

function run(cmd: string, args: string[], cwd?: string) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const git = (cwd: string, ...args: string[]) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args], cwd);
const alertgate = (...args: string[]) => run(process.execPath, [BIN, ...args]);

/** A git repository with the rules under detections/rules, committed. */
function repoWith(rulesDir: string): { repo: string; rules: string } {
  const repo = tempDir('alertgate-patch-repo-');
  const rules = join(repo, 'detections', 'rules');
  mkdirSync(join(repo, 'detections'));
  cpSync(rulesDir, rules, { recursive: true });
  expect(git(repo, 'init', '-q').code).toBe(0);
  expect(git(repo, 'add', '.').code).toBe(0);
  expect(git(repo, 'commit', '-qm', 'rules').code).toBe(0);
  return { repo, rules };
}

describe('tuning changes as a git-friendly patch', () => {
  let world: TuningWorld;
  beforeAll(async () => {
    // Four false-positive bursts and two confirmed true positives: burst's minCount 10 → 15 (max step 50%).
    world = await tuningWorld(BURST_RULES, [
      { size: 12, verdict: 'false_positive' },
      { size: 13, verdict: 'false_positive' },
      { size: 14, verdict: 'false_positive' },
      { size: 40, verdict: 'true_positive' },
      { size: 30, verdict: 'true_positive' },
    ]);
    await world.ledger.close();
  });

  it('tune --format patch (a dry run) prints a diff that git apply takes at the top of the work tree, equal to what --apply writes; nothing else is written', () => {
    const { repo, rules } = repoWith(world.rulesDir);
    const before = readFileSync(join(rules, 'burst.yaml'), 'utf8');
    const dry = alertgate('tune', '--rules', rules, '--db', world.db, '--min-verdicts', '3', '--format', 'patch');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^diff --git a\/detections\/rules\/burst\.yaml b\/detections\/rules\/burst\.yaml\n--- a\/detections\/rules\/burst\.yaml\n\+\+\+ b\/detections\/rules\/burst\.yaml\n@@ /);
    expect(dry.stdout).toMatch(/^-version: 1\n\+version: 2$/m);
    expect(dry.stdout).toMatch(/^- {4}value: 10\n\+ {4}value: 15$/m);
    expect(readFileSync(join(rules, 'burst.yaml'), 'utf8')).toBe(before);
    expect(git(repo, 'status', '--porcelain').stdout).toBe('');
    const patch = join(tempDir(), 'tune.patch');
    writeFileSync(patch, dry.stdout);
    expect(git(repo, 'apply', '--check', patch)).toMatchObject({ code: 0, stderr: '' });
    expect(git(repo, 'apply', patch).code).toBe(0);

    const applied = join(tempDir(), 'rules');
    cpSync(world.rulesDir, applied, { recursive: true });
    const db = join(tempDir(), 'ledger.sqlite');
    cpSync(world.db, db);
    const r = alertgate('tune', '--rules', applied, '--db', db, '--min-verdicts', '3', '--apply', '--author', 'eng');
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(rules, 'burst.yaml'), 'utf8')).toBe(readFileSync(join(applied, 'burst.yaml'), 'utf8'));
  });

  it('tune --apply --patch FILE writes the files and the patch of what it applied: it reverses on the tuned tree and applies on a fresh checkout', () => {
    const { repo, rules } = repoWith(world.rulesDir);
    const db = join(tempDir(), 'ledger.sqlite');
    cpSync(world.db, db);
    const patch = join(tempDir(), 'applied.patch');
    const r = alertgate('tune', '--rules', rules, '--db', db, '--min-verdicts', '3', '--apply', '--author', 'eng', '--patch', patch);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^applied \(1\):$/m);
    expect(git(repo, 'apply', '--check', '-R', patch)).toMatchObject({ code: 0, stderr: '' });
    const fresh = tempDir('alertgate-patch-clone-');
    expect(run('git', ['clone', '-q', repo, fresh]).code).toBe(0);
    expect(git(fresh, 'apply', patch).code).toBe(0);
    expect(readFileSync(join(fresh, 'detections/rules/burst.yaml'), 'utf8')).toBe(readFileSync(join(rules, 'burst.yaml'), 'utf8'));
  });

  it('outside a git work tree the paths start at the rules directory', () => {
    expect(patchRoot(world.rulesDir)).toBe(world.rulesDir);
    const text = '# no newline at the end\nid: burst\nversion: 1\nparams:\n  minCount: { value: 10, min: 2, max: 100 }\nconditions: { all: [] }';
    const edit = editRuleText(text, 'burst', 'minCount', 14);
    const patch = unifiedPatch([{ file: 'sub/b.yaml', beforeText: text, afterText: edit.text }], world.rulesDir, world.rulesDir);
    expect(patch).toBe(
      [
        'diff --git a/sub/b.yaml b/sub/b.yaml',
        '--- a/sub/b.yaml',
        '+++ b/sub/b.yaml',
        '@@ -1,6 +1,6 @@',
        ' # no newline at the end',
        ' id: burst',
        '-version: 1',
        '+version: 2',
        ' params:',
        '-  minCount: { value: 10, min: 2, max: 100 }',
        '+  minCount: { value: 14, min: 2, max: 100 }',
        ' conditions: { all: [] }',
        '\\ No newline at end of file',
        '',
      ].join('\n'),
    );
    const dir = tempDir();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub/b.yaml'), text);
    writeFileSync(join(dir, 'p.patch'), patch);
    expect(run('git', ['apply', 'p.patch'], dir)).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(join(dir, 'sub/b.yaml'), 'utf8')).toBe(edit.text);
  });

});
