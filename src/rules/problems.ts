/** A located problem in a rules directory: `file: /json/pointer: message (line N)`. */
export interface RuleProblem {
  readonly file: string;
  readonly pointer: string;
  readonly message: string;
  readonly line?: number | undefined;
}

export function formatProblem(p: RuleProblem): string {
  return `${p.file}: ${p.pointer || '/'}: ${p.message}${p.line ? ` (line ${p.line})` : ''}`;
}

/** JSON pointer (RFC 6901) from path segments. */
export function toPointer(path: readonly PropertyKey[]): string {
  return path.map((seg) => `/${String(seg).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

export class RuleLoadError extends Error {
  constructor(readonly problems: readonly RuleProblem[]) {
    super(`invalid rules (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map(formatProblem).join('\n')}`);
    this.name = 'RuleLoadError';
  }
}
