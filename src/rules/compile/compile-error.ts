/** A condition that cannot be compiled. Thrown when rules load, never per alert. */
export class CompileError extends Error {
  override readonly name = 'CompileError';

  constructor(
    message: string,
    /** JSON pointer relative to the condition root, e.g. "/all/2/fact". */
    readonly pointer: string,
  ) {
    super(message);
  }
}

/** Appends one reference token to a JSON pointer, escaped as RFC 6901 requires. */
export function pointerTo(pointer: string, token: string | number): string {
  return `${pointer}/${String(token).replaceAll('~', '~0').replaceAll('/', '~1')}`;
}
