import type { CanonicalAlert } from '../normalize/alert.js';

/** Shown for a placeholder whose path is missing or does not lead to a string, number or boolean. */
export const MISSING = '?';

/** `{{ path }}` with the alert field path grammar of rule files (`entities.src_ip`, `raw.http.status`). */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_@-]+)*)\s*\}\}/g;

export type TitleRenderer = (alert: CanonicalAlert) => string;

/**
 * Compiles a title template once into a renderer: literal text, plus `{{name}}`, `{{entities.host}}`
 * and other dot paths into the canonical alert. Paths are only looked up as own properties, never
 * evaluated, so a template cannot reach code or prototypes. Text that is not a well-formed
 * placeholder (`{{ }}`, `{{a b}}`, an unclosed `{{`) stays literal, so a title can never fail to load.
 */
export function compileTitle(template: string): TitleRenderer {
  const literals: string[] = [];
  const paths: string[][] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    literals.push(template.slice(last, match.index));
    paths.push(match[1]!.split('.'));
    last = match.index + match[0].length;
  }
  const tail = template.slice(last);
  if (paths.length === 0) return () => tail;
  return (alert) => {
    let title = '';
    for (let i = 0; i < paths.length; i++) title += literals[i]! + render(lookup(alert, paths[i]!));
    return title + tail;
  };
}

/** One-off rendering; hot paths should compile the template once with compileTitle(). */
export function renderTitle(template: string, alert: CanonicalAlert): string {
  return compileTitle(template)(alert);
}

function lookup(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const step of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, step)) return undefined;
    node = (node as Record<string, unknown>)[step];
  }
  return node;
}

function render(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : MISSING;
}
