export { compileCondition } from './compile.js';
export { CompileError } from './compile-error.js';
export { newAlertShare, type AlertShare } from './shared.js';
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
