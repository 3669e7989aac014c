import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * kafkajs 2.2.4 groups a produce request's messages by partition with a reduce that copies the
 * partition's array for every message: quadratic in the messages of a request. A request of the
 * worker's outputs holds thousands of decisions, and the copying took ~45 % of the worker's CPU
 * (profiled with bench/kafka.mjs). Upstream has the linear rewrite as an open pull request
 * (tulios/kafkajs#1576). Until a release has it, this module puts the same function, linear, into
 * Node's module cache under kafkajs' own path before kafkajs loads, so its producer uses it.
 * Behaviour is identical (property-tested against the original in test/kafka-client/linear-grouping.test.ts).
 */
export function groupMessagesPerPartition<M>({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: {
  topic: string;
  partitionMetadata: readonly unknown[];
  messages: readonly M[];
  partitioner: (args: { topic: string; partitionMetadata: readonly unknown[]; message: M }) => number;
}): Record<number, M[]> {
  if (partitionMetadata.length === 0) return {};
  const grouped: Record<number, M[]> = {};
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (grouped[partition] ??= []).push(message);
  }
  return grouped;
}

const require = createRequire(import.meta.url);
const kafkajsDir = dirname(require.resolve('kafkajs/package.json'));
/** The file kafkajs' producer requires (src/producer/sendMessages.js: `require('./groupMessagesPerPartition')`). */
export const KAFKAJS_GROUPING_MODULE = join(kafkajsDir, 'src', 'producer', 'groupMessagesPerPartition.js');
const SEND_MESSAGES_MODULE = join(kafkajsDir, 'src', 'producer', 'sendMessages.js');

/** Whether kafkajs' producer uses the linear grouping: false if kafkajs had loaded before this module. */
export const linearGroupingInstalled: boolean = install();

function install(): boolean {
  const cache = require.cache;
  if (cache[SEND_MESSAGES_MODULE] !== undefined) return cache[KAFKAJS_GROUPING_MODULE]?.exports === groupMessagesPerPartition;
  const module = new Module(KAFKAJS_GROUPING_MODULE);
  module.filename = KAFKAJS_GROUPING_MODULE;
  module.loaded = true;
  module.exports = groupMessagesPerPartition;
  cache[KAFKAJS_GROUPING_MODULE] = module;
  return true;
}
