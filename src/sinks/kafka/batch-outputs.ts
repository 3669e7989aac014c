import type { Message, TopicMessages } from 'kafkajs';
import type { IncidentRecord } from '../../incidents/index.js';
import { deadLetterMessage, type MessageSource } from './dead-letter-message.js';

/** The output topics of the Kafka worker (config `kafka.topics`). */
export interface OutputTopics {
  readonly decisions: string;
  readonly incidents: string;
  readonly deadLetters: string;
}

/**
 * The messages one input batch produces, collected synchronously while the pipeline runs and then
 * sent together (one sendBatch). Keys make redeliveries recognizable: decisions by alert id,
 * incidents by incident id, dead letters by source topic-partition-offset.
 */
export class BatchOutputs {
  readonly decisions: Message[] = [];
  readonly incidents: Message[] = [];
  /** With the position of their message in the batch: rejected messages and pipeline dead letters arrive apart. */
  private readonly deadLetters: { position: number; message: Message }[] = [];

  constructor(private readonly topics: OutputTopics) {}

  decision(json: string, alertId: string): void {
    this.decisions.push({ key: alertId, value: json });
  }

  incident(record: IncidentRecord): void {
    this.incidents.push({ key: record.id, value: JSON.stringify(record) });
  }

  deadLetter(position: number, source: MessageSource, failure: { reason: string; raw: string; truncated: boolean }): void {
    this.deadLetters.push({ position, message: deadLetterMessage(source, failure) });
  }

  get deadLetterCount(): number {
    return this.deadLetters.length;
  }

  /** Every message, grouped by output topic; dead letters in source offset order. Topics without messages are left out. */
  topicMessages(): TopicMessages[] {
    const deadLetters = this.deadLetters.sort((a, b) => a.position - b.position).map((d) => d.message);
    const all: TopicMessages[] = [
      { topic: this.topics.decisions, messages: this.decisions },
      { topic: this.topics.incidents, messages: this.incidents },
      { topic: this.topics.deadLetters, messages: deadLetters },
    ];
    return all.filter((t) => t.messages.length > 0);
  }
}
