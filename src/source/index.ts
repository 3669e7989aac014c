export { openInput } from './input.js';
export {
  DEFAULT_MAX_LINE_BYTES,
  OVERSIZED_HEAD_BYTES,
  readLines,
  type InputLine,
  type OversizedLine,
  type ReadLinesOptions,
  type TextLine,
} from './ndjson.js';
