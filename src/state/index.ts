export { parseDuration } from './duration.js';
export { AGGREGATE_KINDS, type AggregateKind, type AggregateValue } from './aggregate-plan.js';
export { WindowStore, WindowStoreOptions, WindowStoreSnapshot, type ObserveVerdict, type WindowStoreStats } from './window-store.js';
