export { compileCondition } from './compile.js';
export { CompileError } from './compile-error.js';
export type { AlertReads } from './facts.js';
export { pinnedValues, type PinnedValue, type PinnedValues } from './pinned.js';
export type {
  CompiledPredicate,
  CompileOptions,
  ConditionTrace,
  EvalContext,
  FactSource,
  FactTrace,
  GroupTrace,
  ReferenceTrace,
} from './types.js';
