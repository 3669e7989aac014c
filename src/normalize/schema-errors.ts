import { z } from 'zod';
import { jsonType } from './describe.js';

/** One problem found by a schema, at a place in the input. */
export interface LocatedProblem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * A strict zod object whose unknown-key error lists the keys that are allowed, so a typo's message
 * shows the right spelling.
 */
export function strictObject<const Shape extends z.core.$ZodLooseShape>(shape: Shape, hint = '') {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key; allowed keys are ${allowed}${hint}` : undefined),
  });
}

/**
 * Flattens zod issues into one problem per place: an unknown-keys issue becomes one problem per key
 * (at the key), a union's issue becomes the issues of the one branch whose type matched (so the
 * message is about the field, not "invalid input"), and a type error on an absent value says "missing".
 */
export function locateIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  base: readonly PropertyKey[] = [],
): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    const value = valueAt(input, path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ path: [...path, key], message: issue.message });
    } else if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && value === undefined) {
      problems.push({ path, message: 'missing; this key is required' });
    } else if (issue.code === 'invalid_union') {
      problems.push(...locateUnionIssue(issue, input, path, value));
    } else {
      problems.push({ path, message: withoutZodPrefix(issue.message) });
    }
  }
  return problems;
}

function locateUnionIssue(
  issue: z.core.$ZodIssueInvalidUnion,
  input: unknown,
  path: readonly PropertyKey[],
  value: unknown,
): LocatedProblem[] {
  const typeMatched = issue.errors.filter((branch) => !isRootTypeMismatch(branch));
  if (typeMatched.length === 1) return locateIssues(typeMatched[0]!, input, path);
  if (typeMatched.length === 0 && issue.message === ZOD_UNION_MESSAGE) {
    // zod says only "Invalid input" for a union of plain types; say which types would do.
    const expected = issue.errors.map((branch) => (branch[0] as z.core.$ZodIssueInvalidType).expected);
    return [{ path, message: `expected ${expected.join(' or ')}, received ${jsonType(value)}` }];
  }
  return [{ path, message: withoutZodPrefix(issue.message) }];
}

/** zod's messages start with a generic "Invalid input: " and the like; the path already says where. */
function withoutZodPrefix(message: string): string {
  return message.replace(/^(Invalid input|Invalid option|Too small|Too big): /, '');
}

const ZOD_UNION_MESSAGE = 'Invalid input';

/** A union branch that failed only because the value had another type altogether. */
function isRootTypeMismatch(branch: readonly z.core.$ZodIssue[]): boolean {
  return branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0]!.path.length === 0;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
