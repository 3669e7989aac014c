import { readFile } from 'node:fs/promises';
import { FeedbackLine, VERDICT_ALIASES } from './feedback.js';

export interface ImportProblem {
  readonly line: number;
  readonly message: string;
}

/**
 * Reads a feedback NDJSON file (one FeedbackLine per line; tp, bp and fp accepted for verdict, as
 * ticket-system exports abbreviate): every line, or every problem, each as `line N: /field: message`.
 * Blank lines are skipped.
 */
export async function readFeedbackFile(file: string): Promise<{ ok: true; lines: { line: number; feedback: FeedbackLine }[] } | { ok: false; problems: ImportProblem[] }> {
  const text = await readFile(file, 'utf8');
  const lines: { line: number; feedback: FeedbackLine }[] = [];
  const problems: ImportProblem[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      problems.push({ line, message: `invalid JSON: ${(err as Error).message}` });
      return;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const verdict = (value as { verdict?: unknown }).verdict;
      if (typeof verdict === 'string' && Object.hasOwn(VERDICT_ALIASES, verdict)) value = { ...value, verdict: VERDICT_ALIASES[verdict] };
    }
    const parsed = FeedbackLine.safeParse(value);
    if (parsed.success) {
      lines.push({ line, feedback: parsed.data });
      return;
    }
    for (const issue of parsed.error.issues) {
      const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
      problems.push({ line, message: `/${path.join('/')}: ${issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message}` });
    }
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, lines };
}
