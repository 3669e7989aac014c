import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../../src/rules/load.js';
import { watchRules } from '../../src/rules/watch.js';
import { rule, writeRules } from '../helpers.js';

/** Resolves with the next load the watcher reports. */
function nextLoad(waiters: ((r: LoadResult) => void)[]) {
  return new Promise<LoadResult>((resolve) => waiters.push(resolve));
}

describe('watching a rules directory', () => {
  it('reloads after a change: a valid set, then located problems for an invalid one', async () => {
    const dir = writeRules({ 'r.yaml': rule({ id: 'first' }) });
    const results: LoadResult[] = [];
    const waiters: ((r: LoadResult) => void)[] = [];
    const stop = watchRules(
      dir,
      (r) => {
        results.push(r);
        waiters.shift()?.(r);
      },
      { debounceMs: 50 },
    );
    try {
      let loaded = nextLoad(waiters);
      writeFileSync(join(dir, 'r.yaml'), stringify(rule({ id: 'second' })));
      const good = await loaded;
      expect(good.ok && good.ruleset.promoteRules.map((r) => r.rule.id)).toEqual(['second']);

      loaded = nextLoad(waiters);
      writeFileSync(join(dir, 'r.yaml'), stringify(rule({ id: 'second', severity: 'apocalyptic' })));
      const bad = await loaded;
      expect(bad.ok).toBe(false);
      expect(bad.ok ? [] : bad.problems.map((p) => p.pointer)).toContain('/severity');
    } finally {
      stop();
    }
  });

  it('when handling a load throws, says so through onError and keeps watching: the next change loads (the chain used to stay rejected)', async () => {
    const dir = writeRules({ 'r.yaml': rule({ id: 'first' }) });
    let reportError!: (err: unknown) => void;
    const errored = new Promise<unknown>((resolve) => (reportError = resolve));
    const waiters: ((r: LoadResult) => void)[] = [];
    let calls = 0;
    const stop = watchRules(
      dir,
      (r) => {
        if (++calls === 1) throw new Error('the handler failed');
        waiters.shift()?.(r);
      },
      { debounceMs: 50, onError: (err) => reportError(err) },
    );
    try {
      writeFileSync(join(dir, 'r.yaml'), stringify(rule({ id: 'second' })));
      expect(((await errored) as Error).message).toBe('the handler failed');
      const loaded = nextLoad(waiters);
      writeFileSync(join(dir, 'r.yaml'), stringify(rule({ id: 'third' })));
      const third = await loaded;
      expect(third.ok && third.ruleset.promoteRules.map((r) => r.rule.id)).toEqual(['third']);
    } finally {
      stop();
    }
  });
});
