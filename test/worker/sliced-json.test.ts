import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { createNormalizer } from '../../src/normalize/index.js';
import { runStream } from '../../src/pipeline/run-stream.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import { slicedJsonBytes } from '../../src/worker/sliced-json.js';

const ROOT = join(import.meta.dirname, '../..');

/** A state the shape of a big checkpoint: many keys, each with a few events and nested facts. */
function bigState(keys: number): unknown {
  return {
    version: 2,
    windows: Array.from({ length: 4 }, (_, r) => ({
      rule: `rule-${r}`,
      keys: Array.from({ length: keys / 4 }, (_, k) => [`host-${k}\u00e9`, { events: [[1_700_000_000_000 + k, 1], [1_700_000_060_000 + k, 2]], distinct: { user: [`u${k}`, `v${k}`] }, lost: false }]),
    })),
  };
}

describe('checkpoints encoded in slices', () => {
  it('are byte for byte what JSON.stringify writes: a real pipeline snapshot, nesting, unicode, undefined, toJSON, empty containers', async () => {
    const run = runStream(createReadStream(join(ROOT, 'fixtures/soc-week.ndjson')), {
      ruleset: await loadRulesOrThrow(join(ROOT, 'rules')),
      normalize: createNormalizer({ format: 'auto' }),
      maxLineBytes: 1 << 20,
      outputs: {},
    });
    await run.done;
    const samples: unknown[] = [
      run.pipeline.snapshot(),
      bigState(400),
      { a: undefined, b: () => 1, c: [undefined, () => 1, NaN, -0, 1e21], d: {}, e: [], f: new Date(0), g: '\ud83d\udea8 "quoted" \\ \n \u0000 \ud800', h: [[[[]]]], i: null },
      Array.from({ length: 100 }, (_, i) => ({ [`k${i}`]: i % 2 ? [i, { i }] : `v${i}` })),
      'top-level string',
      42,
    ];
    for (const sample of samples) expect((await slicedJsonBytes(sample, 0)).toString('utf8')).toBe(JSON.stringify(sample));
  });

  it('keep the event loop turning while a large checkpoint is encoded: it turns about every slice, and no stall comes near what one JSON.stringify blocks', async () => {
    const state = bigState(400_000);
    const syncStart = performance.now();
    const expected = Buffer.from(JSON.stringify(state));
    const blockedMs = performance.now() - syncStart;
    // Large enough that blocking for it would miss a scrape deadline's worth of turns.
    expect(blockedMs).toBeGreaterThan(100);

    const sliceMs = 10;
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const bytes = await slicedJsonBytes(state, sliceMs);
    delay.disable();
    const [medianMs, longestStallMs] = [delay.percentile(50) / 1e6, delay.max / 1e6];
    expect(bytes.equals(expected)).toBe(true);
    // The longest stall is a garbage collection of the large heap (or the machine's other load), not the encoding.
    expect(longestStallMs).toBeLessThan(blockedMs / 2);
    expect(medianMs).toBeLessThan(3 * sliceMs);
    console.log(
      `[sliced-json] ${(expected.length / 1e6).toFixed(0)} MB: JSON.stringify blocks ${blockedMs.toFixed(0)} ms; in ${sliceMs} ms slices the event loop waits ${medianMs.toFixed(0)} ms (median), ${longestStallMs.toFixed(0)} ms at the longest`,
    );
  });
});
