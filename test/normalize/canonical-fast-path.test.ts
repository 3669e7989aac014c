import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalInput, canonicalFormat, isPlainCanonical, normalizeWithSchema } from '../../src/normalize/formats/canonical.js';

/** Values for each field: mostly what zod accepts, sometimes what it does not. */
const anyValue = fc.oneof(fc.constant(undefined), fc.constant(null), fc.string({ maxLength: 3 }), fc.double(), fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 3 }), fc.string(), { maxKeys: 2 }));
const field = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 19, arbitrary: good }, { weight: 1, arbitrary: anyValue });
const text = fc.string({ minLength: 1, maxLength: 8 });

/** `entityKinds`: the entity names to draw from ("__proto__" is one JSON.parse makes an own key). */
const candidateWith = (entityKinds: readonly string[]) => fc.record(
  {
    id: field(fc.oneof(fc.constant(null), fc.string({ minLength: 0, maxLength: 600 }))),
    time: field(fc.oneof(fc.constant('2026-11-20T10:00:00Z'), fc.constant('2026-11-20T10:00:00.000Z'), fc.constant('20 Nov 2026'), fc.integer(), fc.double())),
    source: field(text),
    name: field(fc.oneof({ weight: 9, arbitrary: text }, { weight: 1, arbitrary: fc.constant('') })),
    severity: field(fc.oneof(fc.constantFrom('high', 'low', 'banana'), fc.integer({ min: -1, max: 11 }))),
    severityOriginal: field(fc.oneof(fc.constant(null), text, fc.integer())),
    category: field(fc.oneof(fc.constant(null), text)),
    entities: field(
      fc.dictionary(
        fc.constantFrom(...entityKinds),
        fc.oneof({ weight: 5, arbitrary: fc.string() }, { weight: 1, arbitrary: fc.integer() }, { weight: 1, arbitrary: fc.double() }, { weight: 1, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.array(fc.string(), { maxLength: 1 }) }),
      ),
    ),
    tags: field(fc.array(fc.oneof({ weight: 5, arbitrary: fc.string() }, { weight: 1, arbitrary: fc.integer() }), { maxLength: 3 })),
    raw: fc.jsonValue(),
    extra: fc.option(fc.string(), { freq: 2, nil: undefined }),
  },
  { requiredKeys: ['time', 'source', 'name', 'severity'] },
);
const candidate = candidateWith(['host', 'src_ip', 'user']);

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

  it('gives every line the result the zod path gives it: the same alert, or the same dead-letter reason', () => {
    let taken = 0;
    let rejected = 0;
    let acceptedBySchemaOnly = 0;
    let runs = 0;
    fc.assert(
      fc.property(candidateWith(['host', 'src_ip', 'user', '__proto__']), (generated: Record<string, unknown>) => {
        if (generated.extra === undefined) delete generated.extra;
        // As generated (Infinity and -0 included), and as read back from its JSON line.
        const line = JSON.stringify(generated);
        for (const obj of [generated, JSON.parse(line) as Record<string, unknown>]) {
          runs++;
          const plain = isPlainCanonical(obj);
          if (plain) taken++;
          const result = canonicalFormat.normalize(obj, line);
          if (!result.ok) rejected++;
          else if (!plain) acceptedBySchemaOnly++;
          expect(result).toEqual(normalizeWithSchema(obj, line));
        }
      }),
      { numRuns: 3000 },
    );
    // Both paths and both outcomes are exercised, or the property says nothing.
    expect(taken).toBeGreaterThan(runs / 5);
    expect(rejected).toBeGreaterThan(runs / 10);
    expect(acceptedBySchemaOnly).toBeGreaterThan(0);
  });

  it('leaves to zod what it cannot vouch for', () => {
    const base = { time: 1, source: 's', name: 'n', severity: 'high' };
    expect(isPlainCanonical(base)).toBe(true);
    expect(isPlainCanonical({ ...base, entities: { port: 22, internal: true, user: null } })).toBe(true);
    expect(isPlainCanonical({ ...base, entities: { port: Number.POSITIVE_INFINITY } })).toBe(false);
    expect(isPlainCanonical({ ...base, entities: { ports: [22] } })).toBe(false);
    expect(isPlainCanonical({ ...base, colour: 'red' })).toBe(false);
    expect(isPlainCanonical({ ...base, name: '' })).toBe(false);
    expect(isPlainCanonical({ ...base, time: Number.NaN })).toBe(false);
    expect(isPlainCanonical({ ...base, id: 'x'.repeat(513) })).toBe(false);
  });
});
