import { z } from 'zod';
import { isFactReference } from './compile/facts.js';
import { stringOperandProblems } from './compile/string-operators.js';

/**
 * json-rules-engine's condition syntax, as a zod schema. The semantics are json-rules-engine's
 * (the compiler in ./compile is checked against it by a differential property test); the schema
 * is stricter than the engine only where the engine would fail at run time (unknown operators,
 * dangling condition references, malformed fact references) or where a key would be silently ignored.
 */

export const BASE_OPERATORS = [
  'equal',
  'notEqual',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
] as const;
export type BaseOperator = (typeof BASE_OPERATORS)[number];

/**
 * Operators alertgate adds to json-rules-engine's, as a user would with engine.addOperator
 * (src/rules/compile/string-operators.ts defines them; docs/rules.md, "String operators").
 */
export const STRING_OPERATORS = ['startsWith', 'endsWith', 'equalIgnoreCase', 'regex', 'inCidr'] as const;
export type StringOperator = (typeof STRING_OPERATORS)[number];
/** Every operator a condition may name after its decorators. */
export const OPERATORS = [...BASE_OPERATORS, ...STRING_OPERATORS] as const;
export type OperatorName = (typeof OPERATORS)[number];

export const OPERATOR_DECORATORS = ['everyFact', 'someFact', 'everyValue', 'someValue', 'not', 'swap'] as const;
export type OperatorDecorator = (typeof OPERATOR_DECORATORS)[number];

const operatorSet: ReadonlySet<string> = new Set(OPERATORS);
const decoratorSet: ReadonlySet<string> = new Set(OPERATOR_DECORATORS);

/** `"not:someFact:equal"` is valid: zero or more decorators, then one base operator, joined by ':'. */
export function isKnownOperator(operator: string): boolean {
  const parts = operator.split(':');
  const base = parts.pop();
  return base !== undefined && operatorSet.has(base) && parts.every((p) => decoratorSet.has(p));
}

const priority = z.number().int().min(1).optional();
const conditionName = z.string().min(1).optional();

/** `{fact, path?}` used as a condition's `value`: compares one fact against another. */
export const FactReference = z
  .object({
    fact: z.string().min(1),
    path: z.string().min(1).optional(),
  })
  .strict();
export type FactReference = z.infer<typeof FactReference>;

export const LeafCondition = z
  .object({
    fact: z.string().min(1),
    path: z.string().min(1).optional(),
    operator: z.string().refine(isKnownOperator, {
      message: `unknown operator; use one of ${OPERATORS.join(', ')}, optionally prefixed by decorators (${OPERATOR_DECORATORS.join(', ')}) joined with ':'`,
    }),
    // Any JSON value; an object with a `fact` key is a fact reference, as in json-rules-engine.
    value: z.unknown().superRefine((value, ctx) => {
      if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, 'fact')) {
        const parsed = FactReference.safeParse(value);
        if (!parsed.success) {
          for (const issue of parsed.error.issues) {
            ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
          }
        }
      }
    }),
    priority,
    name: conditionName,
  })
  .strict()
  .superRefine((leaf, ctx) => {
    if (isFactReference(leaf.value)) return;
    for (const { path, message } of stringOperandProblems(leaf.operator, leaf.value)) ctx.addIssue({ code: 'custom', message, path: ['value', ...path] });
  });
export type LeafCondition = z.infer<typeof LeafCondition>;

export interface AllCondition {
  all: Condition[];
  priority?: number | undefined;
  name?: string | undefined;
}
export interface AnyCondition {
  any: Condition[];
  priority?: number | undefined;
  name?: string | undefined;
}
export interface NotCondition {
  not: Condition;
  priority?: number | undefined;
  name?: string | undefined;
}
export interface ConditionReference {
  condition: string;
  priority?: number | undefined;
  name?: string | undefined;
}
export type TopLevelCondition = AllCondition | AnyCondition | NotCondition | ConditionReference;
export type Condition = TopLevelCondition | LeafCondition;

const AllConditionSchema = z.object({ all: z.array(z.lazy(() => Condition)), priority, name: conditionName }).strict();
const AnyConditionSchema = z.object({ any: z.array(z.lazy(() => Condition)), priority, name: conditionName }).strict();
const NotConditionSchema = z.object({ not: z.lazy(() => Condition), priority, name: conditionName }).strict();
const ConditionReferenceSchema = z.object({ condition: z.string().min(1), priority, name: conditionName }).strict();

const BRANCHES = [
  ['all', AllConditionSchema],
  ['any', AnyConditionSchema],
  ['not', NotConditionSchema],
  ['condition', ConditionReferenceSchema],
  ['fact', LeafCondition],
] as const;

/**
 * Picks the branch by the key that names it (as json-rules-engine does), so an error points at the
 * field that is wrong instead of a bare "invalid union".
 */
function conditionSchema(allowLeaf: boolean): z.ZodType<Condition> {
  const branches = allowLeaf ? BRANCHES : BRANCHES.slice(0, 4);
  const keys = branches.map(([key]) => key).join(', ');
  return z.unknown().transform((value, ctx): Condition => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      ctx.addIssue({ code: 'custom', message: `expected a condition object with one of: ${keys}` });
      return z.NEVER;
    }
    const branch = branches.find(([key]) => Object.hasOwn(value, key));
    if (!branch) {
      ctx.addIssue({ code: 'custom', message: `a condition needs one of: ${keys}` });
      return z.NEVER;
    }
    const parsed = branch[1].safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', path: issue.path } as never);
      return z.NEVER;
    }
    return parsed.data as Condition;
  }) as unknown as z.ZodType<Condition>;
}

export const Condition: z.ZodType<Condition> = conditionSchema(true);

/** A rule's top-level conditions: json-rules-engine requires all, any, not or a condition reference. */
export const TopLevelCondition = conditionSchema(false) as unknown as z.ZodType<TopLevelCondition>;

export function isLeaf(c: Condition): c is LeafCondition {
  return Object.hasOwn(c, 'fact');
}
