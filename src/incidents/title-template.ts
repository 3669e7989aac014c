import type { CanonicalAlert } from '../normalize/alert.js';
import { compileFieldPath, type FieldPathReader } from '../normalize/field-path.js';

/** Shown for a placeholder whose path is missing or does not lead to a string, number or boolean. */
export const MISSING = '?';

/**
 * `{{ path }}` with an alert field path (`entities.src_ip`, `raw.http.status`, `raw.output_fields["proc.name"]`):
 * dotted keys of letters, digits and `_ @ -`, and bracketed keys (field-path.ts).
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_@-]*(?:\.[A-Za-z0-9_@-]+|\[(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\d+)\])*)\s*\}\}/g;

export type TitleRenderer = (alert: CanonicalAlert) => string;

/**
 * Compiles a title template once into a renderer: literal text, plus `{{name}}`, `{{entities.host}}`
 * and other field paths into the canonical alert. Paths are only looked up as own properties, never
 * evaluated, so a template cannot reach code or prototypes. Text that is not a well-formed
 * placeholder (`{{ }}`, `{{a b}}`, an unclosed `{{`) stays literal, so a title can never fail to load.
 */
export function compileTitle(template: string): TitleRenderer {
  const literals: string[] = [];
  const paths: FieldPathReader[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    literals.push(template.slice(last, match.index));
    paths.push(compileFieldPath(match[1]!));
    last = match.index + match[0].length;
  }
  const tail = template.slice(last);
  if (paths.length === 0) return () => tail;
  return (alert) => {
    let title = '';
    for (let i = 0; i < paths.length; i++) title += literals[i]! + render(paths[i]!(alert));
    return title + tail;
  };
}

/** One-off rendering; hot paths should compile the template once with compileTitle(). */
export function renderTitle(template: string, alert: CanonicalAlert): string {
  return compileTitle(template)(alert);
}

function render(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : MISSING;
}
