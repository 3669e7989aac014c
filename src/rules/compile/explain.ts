import { EMPTY_GROUP_RESULT, type LeafPlan, type Plan } from './plan.js';
import type { EvalContext } from './types.js';

/**
 * Explanations are written straight to JSON: every decided alert gets one, so building an object tree
 * only to serialize it would cost more than deciding. The constant parts of each node (kind, fact,
 * path, operator, value as written) are serialized once, at compile time; only the values compared and
 * the results are written per alert. Key order and omitted keys are exactly those of the
 * ConditionTrace type (docs/engine.md), so `JSON.parse` of the output is a ConditionTrace.
 *
 * Every branch is evaluated (no short-circuit), so the trace shows why each part held or not.
 */
export type TraceWriter = (ctx: EvalContext) => string;

/** The result of the node a writer just wrote; set by every writer before it returns (synchronous use only). */
let lastResult = false;

export function traceWriterOf(plan: Plan): TraceWriter {
  switch (plan.kind) {
    case 'fact':
      return leafWriter(plan);
    case 'all':
    case 'any': {
      const children = plan.children.map(traceWriterOf);
      const head = `{"kind":"${plan.kind}"${nameJson(plan.name)},"result":`;
      const isAll = plan.kind === 'all';
      return (ctx) => {
        let body = '';
        let all = true;
        let some = false;
        for (let i = 0; i < children.length; i++) {
          body += (i === 0 ? '' : ',') + children[i]!(ctx);
          all &&= lastResult;
          some ||= lastResult;
        }
        lastResult = isAll ? all : children.length === 0 ? EMPTY_GROUP_RESULT : some;
        return `${head}${lastResult},"children":[${body}]}`;
      };
    }
    case 'not': {
      const child = traceWriterOf(plan.child);
      const head = `{"kind":"not"${nameJson(plan.name)},"result":`;
      return (ctx) => {
        const body = child(ctx);
        lastResult = !lastResult;
        return `${head}${lastResult},"children":[${body}]}`;
      };
    }
    case 'condition': {
      const target = traceWriterOf(plan.target);
      const head = `{"kind":"condition","condition":${JSON.stringify(plan.condition)}${nameJson(plan.name)},"result":`;
      return (ctx) => {
        const body = target(ctx);
        return `${head}${lastResult},"children":[${body}]}`;
      };
    }
  }
}

function leafWriter({ condition, read, compareTo, comparesFacts, operator }: LeafPlan): TraceWriter {
  const { fact, path, operator: operatorName, value, name } = condition;
  const head =
    `{"kind":"fact"${nameJson(name)},"fact":${JSON.stringify(fact)}` +
    `${path === undefined ? '' : `,"path":${JSON.stringify(path)}`},"operator":${JSON.stringify(operatorName)}` +
    `,"value":${JSON.stringify(value)}`;
  return (ctx) => {
    // Resolved one step at a time so that, where json-rules-engine would throw, the trace keeps what was reached.
    let rhs: unknown;
    let lhs: unknown;
    let error: string | undefined;
    lastResult = false;
    try {
      rhs = compareTo(ctx);
      lhs = read(ctx);
      lastResult = operator(lhs, rhs);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    return (
      head +
      jsonMember('factValue', lhs) +
      (comparesFacts ? jsonMember('compareTo', rhs) : '') +
      `,"result":${lastResult}` +
      (error === undefined ? '' : `,"error":${JSON.stringify(error)}`) +
      '}'
    );
  };
}

/** `,"key":value`, or nothing where JSON.stringify of an object would drop the key (undefined). */
function jsonMember(key: string, value: unknown): string {
  const json = safeJson(value);
  return json === undefined ? '' : `,"${key}":${json}`;
}

/** JSON of a fact value; values JSON cannot represent (a cycle, a BigInt) are written as a note, never thrown. */
function safeJson(value: unknown): string | undefined {
  // Aggregates and params are numbers: the common case skips JSON.stringify (same text for finite numbers).
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  try {
    return JSON.stringify(value) as string | undefined;
  } catch (err) {
    return JSON.stringify(`<not serializable: ${err instanceof Error ? err.message : String(err)}>`);
  }
}

function nameJson(name: string | undefined): string {
  return name === undefined ? '' : `,"name":${JSON.stringify(name)}`;
}
