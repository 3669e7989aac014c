export * from './alert.js';
export { deterministicId } from './id.js';
export { loadMapping, Mapping, parseMapping } from './mapping.js';
export { BUILTIN_FORMATS, createNormalizer, formatAdapter, InputFormat, type Normalizer, type NormalizerOptions, type NormalizeResult } from './normalize.js';
export { parseSeverity, severityFromScore } from './severity.js';
export { EPOCH_SECONDS_BELOW, formatEventTime, parseEventTime } from './time.js';
export { CanonicalInput } from './formats/canonical.js';
export { FORMAT_NAMES, NORMALIZE_PROBLEMS } from './formats/adapter.js';
export type { AlertResult, FormatAdapter, FormatName, JsonObject, NormalizeFailure, NormalizeProblem, NormalizeSplit, NormalizeSuccess } from './formats/adapter.js';
