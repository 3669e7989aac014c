import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { PipelineCounts } from '../pipeline/pipeline.js';
import type { StreamRun } from '../pipeline/run-stream.js';
import { MAX_LISTED_DEAD_LETTERS, Requests, type IngestBatch, type IngestOutcome, type IngestTarget } from './target.js';

export interface FileIngestOptions {
  readonly maxLineBytes: number;
  /** 429 while the outputs hold more than this many bytes not yet written. */
  readonly maxPendingBytes: number;
  readonly retryAfterSeconds: number;
  readonly log: Pick<Logger, 'info'>;
  /** Request ids; random UUIDs unless a test injects its own. */
  readonly newId?: () => string;
}

/**
 * HTTP input for the worker without Kafka. Deterministic order: the input file (or stdin) is decided
 * to its end first; then each request's lines, one request at a time in the order they arrive, a
 * request's lines together and in their order. Until the input has ended the worker is "behind" (429),
 * so a run never depends on when a request happened to arrive during the file. The same file followed
 * by the same bodies, in order, replayed as one file, gives the same decisions and incidents.
 */
export class FileIngest implements IngestTarget {
  readonly maxLineBytes: number;
  readonly retryAfterSeconds: number;
  private inputEnded = false;
  private failed = false;
  private readonly requests = new Requests();
  private readonly newId: () => string;

  constructor(
    private readonly run: StreamRun,
    private readonly options: FileIngestOptions,
  ) {
    this.maxLineBytes = options.maxLineBytes;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.newId = options.newId ?? (() => `ing-${randomUUID()}`);
    void run.done.then(
      () => (this.inputEnded = true),
      () => (this.failed = true),
    );
  }

  behind(): string | undefined {
    if (this.requests.stopping || this.failed) return 'the worker is stopping';
    if (!this.inputEnded) return 'still deciding the input file: HTTP input is decided after it ends, so that a run decides the same sequence every time';
    const pending = this.run.pendingBytes();
    if (pending > this.options.maxPendingBytes) return `the outputs hold ${pending} bytes not yet written (ingest.http.maxPendingBytes ${this.options.maxPendingBytes})`;
    return undefined;
  }

  async ingest(batch: IngestBatch): Promise<IngestOutcome> {
    const request = this.newId();
    const counts = this.run.pipeline.counts;
    const before = { ...counts };
    const lines = batch.format === undefined ? batch.lines : batch.lines.map((l) => ('text' in l ? { ...l, format: batch.format } : l));
    const deadLetters = await this.requests.track(this.run.decide(lines, request));
    const delta = (k: keyof Omit<PipelineCounts, 'byRule'>) => counts[k] - before[k];
    const outcome: IngestOutcome = {
      request,
      lines: lines.length,
      // Alerts decided: one per line, or one per element of a multi-alert record (an Alertmanager payload).
      accepted: delta('promoted') + delta('suppressed') + delta('passed') + delta('duplicate'),
      deadLettered: deadLetters.length,
      deadLetters: deadLetters.slice(0, MAX_LISTED_DEAD_LETTERS).map(({ line, reason }) => ({ line, reason })),
      decisions: { promote: delta('promoted'), suppress: delta('suppressed'), pass: delta('passed'), duplicate: delta('duplicate') },
    };
    this.options.log.info({ request, tokenName: batch.tokenName, lines: outcome.lines, accepted: outcome.accepted, deadLettered: outcome.deadLettered }, 'HTTP input decided');
    return outcome;
  }

  /** No more input: later requests are refused (429) while the worker stops; resolves when those being decided are. */
  stop(): Promise<void> {
    return this.requests.stop();
  }
}
