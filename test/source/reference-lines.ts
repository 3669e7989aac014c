import { OVERSIZED_HEAD_BYTES, type InputLine } from '../../src/source/ndjson.js';

/** The same rules as readLines, applied to the whole input at once: the oracle for chunked reading. */
export function referenceLines(input: Buffer, maxLineBytes: number): InputLine[] {
  const out: InputLine[] = [];
  let start = 0;
  for (let line = 1; start <= input.length; line++) {
    const newline = input.indexOf(0x0a, start);
    const end = newline === -1 ? input.length : newline;
    let segment = input.subarray(start, end);
    start = end + 1;
    if (segment.at(-1) === 0x0d) segment = segment.subarray(0, -1);
    if (segment.length === 0) continue;
    if (segment.length > maxLineBytes) {
      const head = segment.subarray(0, OVERSIZED_HEAD_BYTES).toString('utf8');
      out.push({ line, oversized: true, bytes: segment.length, head });
      continue;
    }
    let text = segment.toString('utf8');
    if (line === 1 && text.startsWith('\uFEFF')) text = text.slice(1);
    if (/^[ \t\r]*$/.test(text)) continue;
    out.push({ line, text });
  }
  return out;
}
