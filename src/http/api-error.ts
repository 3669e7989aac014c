import { z } from 'zod';

/** Every error answer of the API: `{"error": {...}}`. */
export const ErrorBody = z
  .object({
    error: z
      .object({
        status: z.number().int(),
        /** Stable, for programs: bad_request, unauthorized, forbidden, not_found, payload_too_large, no_ledger, conflict, ... */
        code: z.string(),
        /** For people: what is wrong and, where there is one, the field (`body/verdict: ...`). */
        message: z.string(),
        /** JSON pointer of the first offending field, when the request had one. */
        field: z.string().optional(),
        /** Every problem found, when there were several. */
        problems: z.array(z.object({ field: z.string(), message: z.string() }).strict()).optional(),
      })
      .strict(),
  })
  .strict();
export type ErrorBody = z.infer<typeof ErrorBody>;

/** An error a route answers with; the server turns it into an ErrorBody. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly problems?: { field: string; message: string }[],
  ) {
    super(message);
  }

  body(): ErrorBody {
    return {
      error: {
        status: this.status,
        code: this.code,
        message: this.message,
        ...(this.field !== undefined ? { field: this.field } : {}),
        ...(this.problems && this.problems.length > 1 ? { problems: this.problems } : {}),
      },
    };
  }
}

/** A zod failure on part of a request (body, query, params) → 400 naming each field by JSON pointer. */
export function badRequest(part: 'body' | 'query' | 'params', error: z.ZodError): ApiError {
  const problems = error.issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
    const field = `/${path.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;
    const message = issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? `s ${issue.keys.join(', ')}` : ''}` : issue.message;
    return { field, message: `${part}${field === '/' ? '' : field}: ${message}` };
  });
  const first = problems[0]!;
  return new ApiError(400, 'bad_request', problems.map((p) => p.message).join('; '), first.field, problems);
}
