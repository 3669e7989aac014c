import { setImmediate as nextTurn } from 'node:timers/promises';

/** Containers with at most this many entries, all of them primitives, are encoded in one JSON.stringify call. */
const LEAF_ENTRIES = 64;
/** The clock is read every this many entries. */
const CLOCK_EVERY = 256;
/** Text is turned into bytes once this much of it has gathered. */
const FLUSH_CHARS = 1 << 20;

type Frame =
  | { readonly kind: 'array'; readonly value: readonly unknown[]; index: number }
  | { readonly kind: 'object'; readonly value: Record<string, unknown>; readonly keys: string[]; index: number; wrote: boolean };

/**
 * JSON.stringify(value) as UTF-8 bytes, byte for byte, written in slices of at most `sliceMs` of CPU
 * with a turn of the event loop between them: a checkpoint of a million window keys (~100 MB) takes
 * a second or more to encode, during which a worker would answer no /metrics scrape, no /readyz and
 * no heartbeat-driven callback. For plain data (what PipelineSnapshot is): objects, arrays, strings,
 * numbers, booleans, null, and values with toJSON.
 */
export async function slicedJsonBytes(value: unknown, sliceMs = 10): Promise<Buffer> {
  const encoder = new SlicedJsonEncoder(value);
  while (!encoder.run(performance.now() + sliceMs)) await nextTurn();
  return encoder.bytes();
}

class SlicedJsonEncoder {
  private readonly stack: Frame[] = [];
  private text: string[] = [];
  private chars = 0;
  private readonly buffers: Buffer[] = [];

  constructor(value: unknown) {
    this.value(value);
  }

  /** Encodes until done (true) or past `deadline` (false: call again). */
  run(deadline: number): boolean {
    for (let n = 1; this.stack.length > 0; n++) {
      if (n % CLOCK_EVERY === 0 && performance.now() > deadline) return false;
      const frame = this.stack[this.stack.length - 1]!;
      if (frame.kind === 'array') {
        if (frame.index === frame.value.length) {
          this.stack.pop();
          this.write(']');
          continue;
        }
        if (frame.index > 0) this.write(',');
        const item = frame.value[frame.index++];
        // As JSON.stringify: what has no JSON form is null in an array.
        if (item === undefined || typeof item === 'function' || typeof item === 'symbol') this.write('null');
        else this.value(item);
      } else {
        if (frame.index === frame.keys.length) {
          this.stack.pop();
          this.write('}');
          continue;
        }
        const key = frame.keys[frame.index++]!;
        let item = frame.value[key];
        item = toJsonValue(item, key);
        // ... and no property at all in an object.
        if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
        this.write(frame.wrote ? `,${JSON.stringify(key)}:` : `${JSON.stringify(key)}:`);
        frame.wrote = true;
        this.value(item, false);
      }
    }
    return true;
  }

  bytes(): Buffer {
    this.flushText();
    return Buffer.concat(this.buffers);
  }

  /** Writes a primitive or a small leaf at once; opens a frame for a container to walk. */
  private value(raw: unknown, convert = true): void {
    const value = convert ? toJsonValue(raw, '') : raw;
    if (value === null || typeof value !== 'object') {
      this.write(JSON.stringify(value) ?? 'null');
    } else if (Array.isArray(value)) {
      if (isLeaf(value)) this.write(JSON.stringify(value));
      else {
        this.write('[');
        this.stack.push({ kind: 'array', value, index: 0 });
      }
    } else {
      const keys = Object.keys(value);
      if (keys.length <= LEAF_ENTRIES && keys.every((k) => isPrimitive((value as Record<string, unknown>)[k]))) this.write(JSON.stringify(value));
      else {
        this.write('{');
        this.stack.push({ kind: 'object', value: value as Record<string, unknown>, keys, index: 0, wrote: false });
      }
    }
  }

  private write(text: string): void {
    this.text.push(text);
    this.chars += text.length;
    if (this.chars >= FLUSH_CHARS) this.flushText();
  }

  private flushText(): void {
    if (this.text.length === 0) return;
    this.buffers.push(Buffer.from(this.text.join('')));
    this.text = [];
    this.chars = 0;
  }
}

function toJsonValue(value: unknown, key: string): unknown {
  const toJSON = (value as { toJSON?: unknown } | null | undefined)?.toJSON;
  return typeof toJSON === 'function' ? (toJSON as (key: string) => unknown).call(value, key) : value;
}

function isPrimitive(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function') || typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

function isLeaf(array: readonly unknown[]): boolean {
  return array.length <= LEAF_ENTRIES && array.every(isPrimitive);
}
