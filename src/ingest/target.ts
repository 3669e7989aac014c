import { z } from 'zod';
import type { InputLine } from '../source/index.js';

/**
 * Where HTTP input goes (POST /ingest): the file worker decides a request's lines at once, after its
 * input file; the Kafka worker produces them to its input topic and its decider takes them from
 * there. The routes (src/http/ingest-routes.ts) turn a body into lines and hand them here.
 */
export interface IngestTarget {
  /** Why the worker cannot take input now (the 429's reason), or undefined when it can. Cheap: called per request. */
  behind(): Promise<string | undefined> | string | undefined;
  /** Takes one request's lines; resolves with their accounting once they are decided (file) or acknowledged by the broker (Kafka). */
  ingest(batch: IngestBatch): Promise<IngestOutcome>;
  /** The longest line taken (input.maxLineBytes): longer ones are dead letters. */
  readonly maxLineBytes: number;
  /** The Retry-After of a 429, in seconds. */
  readonly retryAfterSeconds: number;
}

export interface IngestBatch {
  /** The body's lines, numbered from 1 as in the body (a JSON array: by element). */
  readonly lines: readonly InputLine[];
  /** The format the route reads its bodies as (a named format's route); the worker's input.format otherwise. */
  readonly format?: string | undefined;
  /** The token's name, for the logs. */
  readonly tokenName: string;
}

const count = z.number().int().nonnegative();

/** Dead letters listed in an answer at most (all are counted). */
export const MAX_LISTED_DEAD_LETTERS = 100;

/** What became of a request's lines: every line is accepted (decided, or on Kafka queued to be) or a dead letter. */
export const IngestOutcome = z
  .object({
    /** This request's id: dead letters of its lines name it (`request`), as do the worker's logs. */
    request: z.string(),
    /**
     * Input lines in the body (blank NDJSON lines are not counted); lines = accepted + deadLettered, except
     * for a multi-alert record (an Alertmanager payload: one line, one alert per element of alerts[]).
     */
    lines: count,
    /** Valid alerts. The file worker decided them (decisions); the Kafka worker's broker has them, to be decided in order with the topic. */
    accepted: count,
    /** Dead letters (written to the worker's dead letters like any input's): a line that is no alert, or an element of a multi-alert record that is none. */
    deadLettered: count,
    /** The first 100 dead-lettered lines: the line in the body and why. */
    deadLetters: z.array(z.object({ line: z.number().int().positive(), reason: z.string() }).strict()),
    /** File worker: how the accepted alerts were decided. */
    decisions: z.object({ promote: count, suppress: count, pass: count, duplicate: count }).strict().optional(),
    /** Kafka worker: the input topic the lines were produced to. */
    topic: z.string().optional(),
  })
  .strict();
export type IngestOutcome = z.infer<typeof IngestOutcome>;

/** Requests being taken, so that a stopping worker refuses new ones and waits for these. */
export class Requests {
  private readonly pending = new Set<Promise<unknown>>();
  private stopped = false;

  get stopping(): boolean {
    return this.stopped;
  }

  async track<T>(request: Promise<T>): Promise<T> {
    this.pending.add(request);
    try {
      return await request;
    } finally {
      this.pending.delete(request);
    }
  }

  /** Refuses new requests from now on; resolves when those taken are done. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.pending]);
  }
}
