import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** Characters buffered before a write to the stream: few large writes instead of one per record. */
const FLUSH_AT_CHARS = 1 << 16;

/**
 * NDJSON output with batching and backpressure. write() is synchronous (the hot path never awaits);
 * drain() is awaited at batch boundaries so a slow disk or pipe slows the reader instead of filling memory.
 */
export class NdjsonWriter {
  private parts: string[] = [];
  private size = 0;
  private pending: Promise<unknown> | undefined;

  private constructor(
    private readonly stream: Writable,
    private readonly owned: boolean,
  ) {}

  /** `-` writes to stdout; anything else is a file, created (with its directory) or truncated. */
  static open(target: string): NdjsonWriter {
    if (target === '-') return new NdjsonWriter(process.stdout, false);
    mkdirSync(dirname(target), { recursive: true });
    return new NdjsonWriter(createWriteStream(target, { flags: 'w' }), true);
  }

  static to(stream: Writable): NdjsonWriter {
    return new NdjsonWriter(stream, false);
  }

  write(record: unknown): void {
    this.writeJson(JSON.stringify(record));
  }

  /** Writes a record that is already JSON (one line, no newline). */
  writeJson(line: string): void {
    this.parts.push(line, '\n');
    this.size += line.length + 1;
    if (this.size >= FLUSH_AT_CHARS) this.flushBuffer();
  }

  /** Resolves once the stream has room again. */
  async drain(): Promise<void> {
    this.flushBuffer();
    if (this.pending) {
      const pending = this.pending;
      this.pending = undefined;
      await pending;
    }
  }

  async close(): Promise<void> {
    await this.drain();
    if (!this.owned) return;
    const closed = once(this.stream, 'close');
    this.stream.end();
    await closed;
  }

  private flushBuffer(): void {
    if (this.size === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!this.stream.write(chunk) && !this.pending) this.pending = once(this.stream, 'drain');
  }
}
