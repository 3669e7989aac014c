import { readFile } from 'node:fs/promises';
import { FeedbackLine } from './feedback.js';

export interface ImportProblem {
  readonly line: number;
  readonly message: string;
}

/**
 * One feedback record as text (a line of an import file, a Kafka message): the FeedbackLine, or what
 * is wrong with it, each problem as `/field: message`. Verdicts are read by VerdictInput (tp, bp and
 * fp as the verdicts they abbreviate).
 */
export function parseFeedback(text: string): { ok: true; feedback: FeedbackLine } | { ok: false; problems: string[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [`invalid JSON: ${(err as Error).message}`] };
  }
  const parsed = FeedbackLine.safeParse(value);
  if (parsed.success) return { ok: true, feedback: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => {
      const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
      return `/${path.join('/')}: ${issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message}`;
    }),
  };
}

/** Reads a feedback NDJSON file: every line, or every problem (blank lines are skipped). */
export async function readFeedbackFile(file: string): Promise<{ ok: true; lines: { line: number; feedback: FeedbackLine }[] } | { ok: false; problems: ImportProblem[] }> {
  const text = await readFile(file, 'utf8');
  const lines: { line: number; feedback: FeedbackLine }[] = [];
  const problems: ImportProblem[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    const parsed = parseFeedback(raw);
    if (parsed.ok) lines.push({ line: i + 1, feedback: parsed.feedback });
    else for (const message of parsed.problems) problems.push({ line: i + 1, message });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, lines };
}
