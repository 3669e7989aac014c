export { durationText, parseDuration } from './duration.js';
export { hash32 } from './hash.js';
export { AGGREGATE_KINDS, type AggregateKind, type AggregateShape, type AggregateValue } from './aggregate-plan.js';
export { DEFAULT_HLL_PRECISION, HLL_MAX_PRECISION, HLL_MIN_PRECISION, hllRelativeError } from './sliding-hll.js';
export {
  DEFAULT_MAX_EVENTS,
  DEFAULT_MAX_EVENTS_PER_KEY,
  WindowStore,
  WindowStoreOptions,
  WindowStoreSnapshot,
  type ObserveVerdict,
  type WindowStoreStats,
} from './window-store.js';
export { SequenceStore, SequenceStoreSnapshot, type SequenceStoreOptions } from './sequence-store.js';
export { BaselineStore, BaselineStoreSnapshot, type BaselineStoreOptions } from './baseline-store.js';
export { AbsenceTracker, AbsenceTrackerSnapshot, type AbsenceTrackerOptions, type Silence } from './absence-tracker.js';
