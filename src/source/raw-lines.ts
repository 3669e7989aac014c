/**
 * NDJSON lines as bytes, unchanged, for forwarding them as they are (`alertgate produce`): no
 * decoding, so a line that is not UTF-8 reaches Kafka exactly as it was in the file. Split on `\n`,
 * a trailing `\r` removed, blank lines (spaces, tabs) skipped, a UTF-8 byte order mark at the start of
 * the input dropped: the same lines, with the same text, as readLines gives replay.
 */

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Yields the non-blank lines of each chunk (a line split across chunks comes with the chunk that ends it). */
export async function* readRawLines(input: NodeJS.ReadableStream | AsyncIterable<Buffer>): AsyncGenerator<Buffer[]> {
  let carry: Buffer[] = [];
  let first = true;
  for await (const piece of input as AsyncIterable<Buffer | string>) {
    let chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    if (first && chunk.length > 0) {
      first = false;
      if (chunk.subarray(0, 3).equals(BOM)) chunk = chunk.subarray(3);
    }
    const out: Buffer[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(LF); newline !== -1; newline = chunk.indexOf(LF, start)) {
      const tail = chunk.subarray(start, newline);
      push(carry.length > 0 ? Buffer.concat([...carry, tail]) : tail, out);
      carry = [];
      start = newline + 1;
    }
    if (start < chunk.length) carry.push(chunk.subarray(start));
    if (out.length > 0) yield out;
  }
  const out: Buffer[] = [];
  if (carry.length > 0) push(Buffer.concat(carry), out);
  if (out.length > 0) yield out;
}

function push(line: Buffer, out: Buffer[]): void {
  const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
  for (let i = 0; i < end; i++) {
    const b = line[i];
    if (b !== SPACE && b !== TAB && b !== CR) {
      out.push(end === line.length ? line : line.subarray(0, end));
      return;
    }
  }
}
