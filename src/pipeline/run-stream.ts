import { readLines, type InputLine } from '../source/index.js';
import type { IncidentRecord } from '../incidents/index.js';
import { recordingSinks, type LedgerRecorder } from '../ledger/recorder.js';
import { NdjsonWriter } from '../sinks/ndjson-writer.js';
import type { DeadLetterRecord } from './dead-letter.js';
import { Pipeline, type PipelineOptions, type PipelineSinks } from './pipeline.js';

export interface OutputTargets {
  readonly decisions?: string | undefined;
  readonly incidents?: string | undefined;
  readonly deadLetters?: string | undefined;
}

export interface StreamRun {
  readonly pipeline: Pipeline;
  /**
   * Resolves when the input has ended and every output is flushed and closed; with `holdOpen`, when
   * the input has ended and the outputs are flushed but still open for decide() (close() ends them).
   */
  readonly done: Promise<void>;
  /**
   * holdOpen, once done: decides more lines (one HTTP request's) as one batch after everything before
   * them, dead letters tagged with `request`, then flushes the outputs (and the ledger when due).
   */
  decide(lines: readonly InputLine[], request: string): Promise<DeadLetterRecord[]>;
  /** holdOpen: writes the incidents still open and closes the outputs. */
  close(): Promise<void>;
  /** Decided output not yet handed to the operating system, in bytes (backpressure for decide()). */
  pendingBytes(): number;
}

/**
 * Runs the pipeline over an NDJSON stream: each chunk's lines are decided synchronously, then the
 * outputs are drained before the next chunk is read (backpressure from the slowest output).
 */
export function runStream(
  input: NodeJS.ReadableStream | AsyncIterable<Buffer>,
  options: Omit<PipelineOptions, 'sinks'> & {
    readonly outputs: OutputTargets;
    readonly maxLineBytes: number;
    readonly onBatch?: (pipeline: Pipeline) => void;
    /** Sees every incident record written (e.g. for an end-of-run summary). */
    readonly onIncident?: (incident: IncidentRecord) => void;
    /** Sees every dead letter written, after the dead-letters output. */
    readonly onDeadLetter?: (record: DeadLetterRecord) => void;
    /** Sees every decision record (JSON) written, after the decisions output (e.g. the audit log). */
    readonly onDecision?: (json: string, alertId: string) => void;
    /** Also records decisions and incidents in the ledger: flushed when due after a chunk, and at the end. */
    readonly recorder?: LedgerRecorder | undefined;
    /** Keep the outputs open after the input ends, for decide() (HTTP input), until close(). */
    readonly holdOpen?: boolean;
  },
): StreamRun {
  const writers = {
    decisions: options.outputs.decisions ? NdjsonWriter.open(options.outputs.decisions) : undefined,
    incidents: options.outputs.incidents ? NdjsonWriter.open(options.outputs.incidents) : undefined,
    deadLetters: options.outputs.deadLetters ? NdjsonWriter.open(options.outputs.deadLetters) : undefined,
  };
  const ignore = () => {};
  const writeDecision = writers.decisions ? (json: string) => writers.decisions!.writeJson(json) : undefined;
  const { onDecision } = options;
  /** The HTTP request whose lines are being decided (decide()), named in their dead letters, which are collected. */
  let request: string | undefined;
  let requestDeadLetters: DeadLetterRecord[] = [];
  const sinks: PipelineSinks = {
    decision:
      writeDecision && onDecision
        ? (json, alertId) => {
            writeDecision(json);
            onDecision(json, alertId);
          }
        : (writeDecision ?? onDecision ?? ignore),
    incident: (r) => {
      writers.incidents?.write(r);
      options.onIncident?.(r);
    },
    deadLetter: (r) => {
      const record = request === undefined ? r : { ...r, request };
      if (request !== undefined) requestDeadLetters.push(record);
      writers.deadLetters?.write(record);
      options.onDeadLetter?.(record);
    },
  };
  const recorder = options.recorder;
  const pipeline = new Pipeline({ ...options, sinks: recordingSinks(sinks, recorder) });
  const open = Object.values(writers).filter((w): w is NdjsonWriter => w !== undefined);
  const flush = async () => {
    await Promise.all(open.map((w) => w.drain()));
    if (recorder?.due) await recorder.flush();
  };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    try {
      pipeline.finish();
      await recorder?.flush();
    } finally {
      await Promise.all(open.map((w) => w.close()));
    }
  };
  const done = (async () => {
    try {
      for await (const batch of readLines(input, { maxLineBytes: options.maxLineBytes })) {
        pipeline.processBatch(batch);
        options.onBatch?.(pipeline);
        await flush();
      }
    } catch (err) {
      await Promise.all(open.map((w) => w.close()));
      throw err;
    }
    if (!options.holdOpen) await close();
  })();
  return {
    pipeline,
    done,
    async decide(lines, requestId) {
      if (!options.holdOpen || closed) throw new Error('decide() needs a run held open after its input, and before close()');
      request = requestId;
      const deadLetters = (requestDeadLetters = []);
      try {
        pipeline.processBatch(lines);
      } finally {
        request = undefined;
      }
      options.onBatch?.(pipeline);
      await flush();
      return deadLetters;
    },
    close,
    pendingBytes: () => open.reduce((n, w) => n + w.pendingBytes, 0),
  };
}
