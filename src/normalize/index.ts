export * from './alert.js';
export { deterministicId } from './id.js';
export { loadMapping, Mapping, parseMapping } from './mapping.js';
export { createNormalizer, InputFormat, type Normalizer, type NormalizerOptions, type NormalizeResult } from './normalize.js';
export { parseSeverity, severityFromScore } from './severity.js';
export { EPOCH_SECONDS_BELOW, formatEventTime, parseEventTime } from './time.js';
export { CanonicalInput } from './formats/canonical.js';
export { FORMAT_NAMES, NORMALIZE_PROBLEMS } from './formats/adapter.js';
export type { FormatAdapter, FormatName, JsonObject, NormalizeFailure, NormalizeProblem, NormalizeSuccess } from './formats/adapter.js';
