import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

/**
 * How much a file stream may hold before write() asks us to wait: room for a few batches, so the
 * pipeline only pauses when the disk really falls behind (fs's 16 KiB default paused it every batch).
 */
const WRITE_BUFFER_BYTES = 8 << 20;

/** Characters buffered before a write to the stream: few large writes instead of one per record. */
const FLUSH_AT_CHARS = 1 << 16;

/**
 * NDJSON output with batching and backpressure. write() is synchronous (the hot path never awaits);
 * drain() is awaited at batch boundaries so a slow disk or pipe slows the reader instead of filling memory.
 */
export class NdjsonWriter {
  /** Lines not yet handed to the stream; string concatenation is cheaper here than an array and join. */
  private buffered = '';
  private pending: Promise<unknown> | undefined;
  /** The stream's error (a full disk, a directory in the way): every later drain and close throws it. */
  private failed: Error | undefined;

  private constructor(
    private readonly stream: Writable,
    private readonly owned: boolean,
    target: string,
  ) {
    // Kept, not thrown from the event: an unhandled 'error' would crash with a stack, and a drain
    // awaited after it would wait forever (a destroyed stream never drains).
    stream.on('error', (err: Error) => {
      this.failed ??= new Error(`cannot write ${target}: ${err.message}`);
    });
  }

  /** `-` writes to stdout; anything else is a file, created (with its directory) or truncated. */
  static open(target: string): NdjsonWriter {
    if (target === '-') return new NdjsonWriter(process.stdout, false, 'stdout');
    mkdirSync(dirname(target), { recursive: true });
    return new NdjsonWriter(createWriteStream(target, { flags: 'w', highWaterMark: WRITE_BUFFER_BYTES }), true, target);
  }

  static to(stream: Writable): NdjsonWriter {
    return new NdjsonWriter(stream, false, 'the output stream');
  }

  /** Bytes written here and not yet taken by the operating system (UTF-16 units of the unflushed buffer, an estimate of its bytes). */
  get pendingBytes(): number {
    return this.buffered.length + this.stream.writableLength;
  }

  write(record: unknown): void {
    this.writeJson(JSON.stringify(record));
  }

  /** Writes a record that is already JSON (one line, no newline). */
  writeJson(line: string): void {
    this.buffered += line + '\n';
    if (this.buffered.length >= FLUSH_AT_CHARS) this.flushBuffer();
  }

  /** Resolves once the stream has room again. */
  async drain(): Promise<void> {
    this.flushBuffer();
    if (this.pending) {
      const pending = this.pending;
      this.pending = undefined;
      await pending.catch(() => undefined);
    }
    if (this.failed) throw this.failed;
  }

  async close(): Promise<void> {
    await this.drain();
    if (!this.owned) return;
    this.stream.end();
    await finished(this.stream).catch(() => undefined);
    if (this.failed) throw this.failed;
  }

  private flushBuffer(): void {
    if (this.buffered.length === 0 || this.failed) return;
    const chunk = this.buffered;
    this.buffered = '';
    if (!this.stream.write(chunk) && !this.pending) this.pending = once(this.stream, 'drain');
  }
}
