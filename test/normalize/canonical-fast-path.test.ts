import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalInput, isPlainCanonical } from '../../src/normalize/formats/canonical.js';

/** Values for each field: mostly what zod accepts, sometimes what it does not. */
const anyValue = fc.oneof(fc.constant(undefined), fc.constant(null), fc.string({ maxLength: 3 }), fc.double(), fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 3 }), fc.string(), { maxKeys: 2 }));
const field = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 19, arbitrary: good }, { weight: 1, arbitrary: anyValue });
const text = fc.string({ minLength: 1, maxLength: 8 });

const candidate = fc.record(
  {
    id: field(fc.oneof(fc.constant(null), fc.string({ minLength: 0, maxLength: 600 }))),
    time: field(fc.oneof(fc.constant('2026-11-20T10:00:00Z'), fc.integer(), fc.double())),
    source: field(text),
    name: field(fc.oneof({ weight: 9, arbitrary: text }, { weight: 1, arbitrary: fc.constant('') })),
    severity: field(fc.oneof(fc.constantFrom('high', 'low'), fc.integer({ min: 0, max: 10 }))),
    severityOriginal: field(fc.oneof(fc.constant(null), text, fc.integer())),
    category: field(fc.oneof(fc.constant(null), text)),
    entities: field(fc.dictionary(fc.constantFrom('host', 'src_ip', 'user'), fc.oneof({ weight: 5, arbitrary: fc.string() }, { weight: 1, arbitrary: fc.integer() }))),
    tags: field(fc.array(fc.oneof({ weight: 5, arbitrary: fc.string() }, { weight: 1, arbitrary: fc.integer() }), { maxLength: 3 })),
    raw: fc.jsonValue(),
    extra: fc.option(fc.string(), { freq: 2, nil: undefined }),
  },
  { requiredKeys: ['time', 'source', 'name', 'severity'] },
);

describe('the canonical fast path', () => {
  it('only takes objects zod accepts, and zod would return them unchanged', () => {
    let taken = 0;
    let runs = 0;
    fc.assert(
      fc.property(candidate, (obj: Record<string, unknown>) => {
        runs++;
        if (obj.extra === undefined) delete obj.extra;
        if (!isPlainCanonical(obj)) return;
        taken++;
        const parsed = CanonicalInput.safeParse(obj);
        expect(parsed.success).toBe(true);
        expect(parsed.data).toEqual(obj);
      }),
      { numRuns: 3000 },
    );
    // The generator must exercise the fast path (about half its objects take it), or the property says nothing.
    expect(taken).toBeGreaterThan(runs / 5);
  });

  it('leaves to zod what it cannot vouch for', () => {
    const base = { time: 1, source: 's', name: 'n', severity: 'high' };
    expect(isPlainCanonical(base)).toBe(true);
    expect(isPlainCanonical({ ...base, entities: { port: 22 } })).toBe(false);
    expect(isPlainCanonical({ ...base, colour: 'red' })).toBe(false);
    expect(isPlainCanonical({ ...base, name: '' })).toBe(false);
    expect(isPlainCanonical({ ...base, time: Number.NaN })).toBe(false);
    expect(isPlainCanonical({ ...base, id: 'x'.repeat(513) })).toBe(false);
  });
});
