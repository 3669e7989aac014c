/**
 * NDJSON line splitting: bytes in, numbered lines out, in batches (one per input chunk) so the
 * pipeline pays one await per chunk rather than one per alert.
 */

/** A line of input text, without its line break. */
export interface TextLine {
  /** 1-based line number in the input; blank lines are skipped but still counted. */
  readonly line: number;
  readonly text: string;
  /**
   * The format this line is in when its source says so (an ingest route for a named format, a Kafka
   * message's `alertgate-format` header); otherwise the input's configured format.
   */
  readonly format?: string;
}

/** A line longer than the limit: only its size and first bytes are kept, so it can be dead-lettered. */
export interface OversizedLine {
  readonly line: number;
  readonly oversized: true;
  /** Length of the line in bytes, without its line break. */
  readonly bytes: number;
  /** The first OVERSIZED_HEAD_BYTES bytes, decoded as UTF-8, to recognize the line by. */
  readonly head: string;
}

export type InputLine = TextLine | OversizedLine;

export interface ReadLinesOptions {
  /** Lines longer than this many bytes are reported as oversized instead of being read. */
  readonly maxLineBytes: number;
}

/** 1 MiB: far above any real alert, low enough that one runaway line cannot exhaust memory. */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/** How much of an oversized line is kept for its dead letter. */
export const OVERSIZED_HEAD_BYTES = 256;

const LF = 0x0a;
const CR = 0x0d;
const BYTE_ORDER_MARK = 0xfeff;

/**
 * Splits NDJSON input into numbered lines. Lines are split on `\n` with a trailing `\r` removed, so
 * CRLF files read the same as LF files; bytes are decoded as UTF-8 (invalid sequences become U+FFFD).
 */
export async function* readLines(
  input: NodeJS.ReadableStream | AsyncIterable<Buffer>,
  opts: ReadLinesOptions,
): AsyncGenerator<InputLine[]> {
  const splitter = new LineSplitter(opts.maxLineBytes);
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    // A stream with setEncoding() yields strings; splitting works on bytes.
    const batch = splitter.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    if (batch.length > 0) yield batch;
  }
  const last = splitter.end();
  if (last.length > 0) yield last;
}

/** The splitting state between chunks: the unfinished line at the end of the last chunk. */
class LineSplitter {
  private readonly maxLineBytes: number;
  /** Number of the line being assembled. */
  private line = 1;
  /** Pieces of the unfinished line, while it is within the limit. */
  private pieces: Buffer[] = [];
  private pieceBytes = 0;
  /** Set once the unfinished line has outgrown the limit: from then on bytes are counted, not kept. */
  private oversized: { bytes: number; head: Buffer; lastByte: number } | undefined;

  constructor(maxLineBytes: number) {
    this.maxLineBytes = maxLineBytes;
  }

  push(chunk: Buffer): InputLine[] {
    const out: InputLine[] = [];
    let start = 0;
    let newline = chunk.indexOf(LF, start);
    while (newline !== -1) {
      if (this.pieceBytes === 0 && this.oversized === undefined) {
        // The common case: the whole line is inside this chunk, so it is decoded without copying.
        this.emit(chunk, start, newline, out);
      } else {
        this.keep(chunk, start, newline);
        this.flush(out);
      }
      this.line++;
      start = newline + 1;
      newline = chunk.indexOf(LF, start);
    }
    this.keep(chunk, start, chunk.length);
    return out;
  }

  /** Flushes the last line when the input does not end with a newline. */
  end(): InputLine[] {
    const out: InputLine[] = [];
    if (this.pieceBytes > 0 || this.oversized !== undefined) this.flush(out);
    return out;
  }

  /** Adds bytes to the unfinished line, switching to counting once the line is over the limit. */
  private keep(chunk: Buffer, start: number, end: number): void {
    if (start === end) return;
    const bytes = chunk.subarray(start, end);
    if (this.oversized !== undefined) {
      const o = this.oversized;
      o.bytes += bytes.length;
      o.lastByte = bytes[bytes.length - 1] ?? o.lastByte;
      if (o.head.length < OVERSIZED_HEAD_BYTES) {
        o.head = Buffer.concat([o.head, bytes.subarray(0, OVERSIZED_HEAD_BYTES - o.head.length)]);
      }
      return;
    }
    // One byte of slack: a trailing '\r' is not part of the line.
    if (this.pieceBytes + bytes.length > this.maxLineBytes + 1) {
      const total = this.pieceBytes + bytes.length;
      this.oversized = {
        bytes: total,
        head: Buffer.concat([...this.pieces, bytes], Math.min(total, OVERSIZED_HEAD_BYTES)),
        lastByte: bytes[bytes.length - 1] ?? 0,
      };
      this.pieces = [];
      this.pieceBytes = 0;
      return;
    }
    // Stream chunks are not reused once emitted, so a view is enough; no copy.
    this.pieces.push(bytes);
    this.pieceBytes += bytes.length;
  }

  /** Emits the unfinished line, now complete, and resets the state for the next one. */
  private flush(out: InputLine[]): void {
    const o = this.oversized;
    if (o !== undefined) {
      const bytes = o.lastByte === CR ? o.bytes - 1 : o.bytes;
      out.push({ line: this.line, oversized: true, bytes, head: o.head.toString('utf8', 0, Math.min(bytes, o.head.length)) });
      this.oversized = undefined;
      return;
    }
    const whole = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces, this.pieceBytes);
    this.pieces = [];
    this.pieceBytes = 0;
    this.emit(whole, 0, whole.length, out);
  }

  /** Emits one complete line held in `buf[start, end)`, unless it is blank. */
  private emit(buf: Buffer, start: number, end: number, out: InputLine[]): void {
    if (end > start && buf[end - 1] === CR) end--;
    if (end === start) return;
    const bytes = end - start;
    if (bytes > this.maxLineBytes) {
      const head = buf.toString('utf8', start, start + Math.min(bytes, OVERSIZED_HEAD_BYTES));
      out.push({ line: this.line, oversized: true, bytes, head });
      return;
    }
    let text = buf.toString('utf8', start, end);
    // Some Windows tools start UTF-8 files with a byte order mark, which JSON.parse rejects.
    if (this.line === 1 && text.charCodeAt(0) === BYTE_ORDER_MARK) text = text.slice(1);
    if (isBlank(text)) return;
    out.push({ line: this.line, text });
  }
}

/** True when the text is only spaces, tabs and CRs; stops at the first other character, for JSON the first. */
function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== CR) return false;
  }
  return true;
}
