import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogCall {
  readonly level: LogLevel;
  /** The `msg` the call writes; undefined when it is not a string literal (a variable, a template). */
  readonly msg: string | undefined;
  /** The fields named in the call's object literal (spread ones are not known here). */
  readonly fields: readonly string[];
  /** `src/…/file.ts:line`. */
  readonly at: string;
}

/** A receiver that is a pino logger or the audit child: `log`, `this.options.log`, `log?`, `audit`. */
const LOGGER = /(^|\.)(log|logger|audit)$/;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** The message literals of an expression: a string, or each branch of a conditional of strings. */
function messagesOf(node: ts.Expression): (string | undefined)[] {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node.text];
  if (ts.isParenthesizedExpression(node)) return messagesOf(node.expression);
  if (ts.isConditionalExpression(node)) return [...messagesOf(node.whenTrue), ...messagesOf(node.whenFalse)];
  return [undefined];
}

/**
 * Every pino call in the sources (`log.info({...}, 'message')`), read with the TypeScript parser so
 * that calls over several lines and conditional messages are found as well.
 */
export function logCallsIn(root: string, dir = 'src'): LogCall[] {
  const calls: LogCall[] = [];
  for (const file of filesUnder(join(root, dir))) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
        const level = node.expression.name.text as LogLevel;
        const receiver = node.expression.expression.getText(source).replace(/\?$/, '');
        const last = node.arguments[node.arguments.length - 1];
        if (LOG_LEVELS.includes(level) && LOGGER.test(receiver) && last !== undefined) {
          const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
          const first = node.arguments[0]!;
          const fields = node.arguments.length > 1 && ts.isObjectLiteralExpression(first) ? first.properties.flatMap((p) => (p.name && !ts.isComputedPropertyName(p.name) ? [p.name.text] : [])) : [];
          for (const msg of messagesOf(last)) calls.push({ level, msg, fields, at: `${relative(root, file)}:${line}` });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return calls;
}
