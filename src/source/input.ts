import { closeSync, createReadStream, fstatSync, openSync } from 'node:fs';
import type { Readable } from 'node:stream';

/** Bigger than fs's 64 KiB default: fewer, larger batches mean fewer awaits per alert. */
const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Opens the alert input: a file path, or `-` for stdin. The file is opened synchronously so a wrong
 * path fails here, with a message naming it, instead of as a stream error after the pipeline started.
 */
export function openInput(pathOrDash: string): Readable {
  if (pathOrDash === '-') return process.stdin;
  let fd: number;
  try {
    fd = openSync(pathOrDash, 'r');
  } catch (err) {
    throw new Error(openFailure(pathOrDash, err));
  }
  if (fstatSync(fd).isDirectory()) {
    closeSync(fd);
    throw new Error(`cannot read alerts from "${pathOrDash}": it is a directory; pass an NDJSON file, or - for stdin`);
  }
  return createReadStream(pathOrDash, { fd, highWaterMark: READ_CHUNK_BYTES });
}

function openFailure(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const prefix = `cannot read alerts from "${path}"`;
  if (code === 'ENOENT') return `${prefix}: no such file; check the path, or pass - to read stdin`;
  if (code === 'EACCES' || code === 'EPERM') return `${prefix}: permission denied; check the file's permissions`;
  return `${prefix}: ${err instanceof Error ? err.message : String(err)}`;
}
