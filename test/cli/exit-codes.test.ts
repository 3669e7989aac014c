import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { markdownTables } from '../report/tables.js';
import { alert, at, ndjson, rule, tempDir, writeRules } from '../helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/alertgate.js');
const SOC_WEEK = join(ROOT, 'fixtures/soc-week.ndjson');

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', cwd: ROOT });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const goodRules = () => writeRules({ 'high.yaml': rule({ id: 'high', conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] } }) });
const alerts = ndjson([alert({ id: 'x1', severity: 'high', time: at(0) })]);

describe('exit codes: one table (README.md "CLI", src/cli/exit-codes.ts) for every command', () => {
  it('the README table lists exactly the codes of EXIT', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const cli = readme.slice(readme.indexOf('\n## CLI\n'));
    const table = markdownTables(cli).find((t) => t.head[0] === 'exit');
    expect(table, 'a table headed "exit" in the README\'s CLI section').toBeDefined();
    expect(table!.rows.map((r) => Number(r[0]))).toEqual(Object.values(EXIT));
  });

  it('invalid rules exit 1 (validate and replay)', () => {
    const bad = writeRules({ 'r.yaml': rule({ severity: 'nope' }) });
    expect(cli(['validate', bad]).code).toBe(EXIT.invalid);
    expect(cli(['replay', '--rules', bad, '--input', '-'], alerts).code).toBe(EXIT.invalid);
  });

  it('a bad mapping file exits 1 like any other invalid input, naming the file and the field (it exited 2)', () => {
    const dir = tempDir();
    const map = join(dir, 'bad-map.yaml');
    writeFileSync(map, 'name: alert.signature\nfields: {}\n');
    const r = cli(['replay', '--rules', goodRules(), '--input', '-', '--format', 'generic', '--map', map], alerts);
    expect(r.code).toBe(EXIT.invalid);
    expect(r.stderr).toMatch(/bad-map\.yaml: \/fields: unknown key/);
    expect(cli(['replay', '--rules', goodRules(), '--input', '-', '--format', 'generic', '--map', join(dir, 'missing.yaml')], alerts).code).toBe(EXIT.invalid);
  });

  it('a bad option value exits 1, naming the option', () => {
    const r = cli(['replay', '--rules', goodRules(), '--input', '-', '--format', 'xml'], alerts);
    expect(r).toMatchObject({ code: EXIT.invalid, stderr: expect.stringMatching(/^alertgate: --format: expected one of auto, canonical, generic, ecs, /) });
    expect(cli(['schema', 'nope']).code).toBe(EXIT.invalid);
  });

  it('failed rule scenario tests exit 1', () => {
    const dir = writeRules({
      'high.yaml': rule({ id: 'high', conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] } }),
      'tests/wrong.yaml': { name: 'expects a promote that does not happen', alerts: [alert({ id: 'a', severity: 'low' })], expect: { decisions: [{ at: 'a', decision: 'promote' }] } },
    });
    const r = cli(['test', dir]);
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.invalid);
    expect(r.stdout).toMatch(/0 passed, 1 failed/);
  });

  it('usage errors exit 2: an unknown command, an unknown option, a missing required option', () => {
    expect(cli(['replay', '--rules', goodRules(), '--input', '-', '--no-such-flag'], alerts).code).toBe(EXIT.failure);
    expect(cli(['no-such-command']).code).toBe(EXIT.failure);
    expect(cli(['replay', '--input', '-'], alerts).code).toBe(EXIT.failure);
    expect(cli(['--help']).code).toBe(EXIT.ok);
  });

  it('an output that cannot be written is a runtime failure: exit 2 with one line naming it (it exited 0, the decisions lost)', () => {
    const r = cli(['replay', '--rules', 'rules', '--input', SOC_WEEK, '--decisions', '/dev/full', '--summary', 'json']);
    expect(r).toMatchObject({ code: EXIT.failure, stdout: '', stderr: 'alertgate: cannot write /dev/full: ENOSPC: no space left on device, write\n' });
    const dir = tempDir();
    const directory = cli(['replay', '--rules', 'rules', '--input', SOC_WEEK, '--incidents', dir]);
    expect(directory).toMatchObject({ code: EXIT.failure, stderr: expect.stringMatching(/^alertgate: cannot write .*: EISDIR: /) });
    expect(directory.stderr).not.toMatch(/\n\s+at /);
  });
});

/** Runs the CLI with stdout into a pipe whose reader closes it: at once, or after the first chunk (as `| head -c 1` does). */
async function intoClosedPipe(args: string[], closeAfterFirstChunk: boolean) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let received = 0;
  if (closeAfterFirstChunk) {
    child.stdout.once('data', (d: Buffer) => {
      received = d.length;
      child.stdout.destroy();
    });
  } else child.stdout.destroy();
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal, stderr, received };
}

describe('a reader that closes stdout early (| head) ends the command quietly', () => {
  it('schema openapi into a closed pipe: exit 0, no EPIPE stack on stderr', async () => {
    expect(await intoClosedPipe(['schema', 'openapi'], false)).toEqual({ code: EXIT.ok, signal: null, stderr: '', received: 0 });
  });

  it('replay --decisions - | head: exit 0 after the first chunk, no EPIPE stack', async () => {
    const r = await intoClosedPipe(['replay', '--rules', 'rules', '--input', SOC_WEEK, '--decisions', '-', '--summary', 'json'], true);
    expect(r.received).toBeGreaterThan(0);
    expect(r).toMatchObject({ code: EXIT.ok, signal: null, stderr: '' });
  });
});
