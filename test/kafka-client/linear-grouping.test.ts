import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupMessagesPerPartition, KAFKAJS_GROUPING_MODULE } from '../../src/kafka/linear-grouping.js';

const REPO = join(import.meta.dirname, '..', '..');

/** kafkajs' own function, from its file, whatever the module cache holds. */
function originalGrouping(): typeof groupMessagesPerPartition {
  const module = { exports: undefined as unknown };
  new Function('module', readFileSync(KAFKAJS_GROUPING_MODULE, 'utf8'))(module);
  return module.exports as typeof groupMessagesPerPartition;
}

describe("kafkajs' producer grouping, linear", () => {
  it('groups exactly as kafkajs does: same partitions, same messages, same order', () => {
    const original = originalGrouping();
    fc.assert(
      fc.property(fc.array(fc.record({ key: fc.string(), partition: fc.nat({ max: 7 }) }), { maxLength: 300 }), fc.nat({ max: 8 }), (messages, partitions) => {
        const args = { topic: 't', partitionMetadata: Array.from({ length: partitions }), messages, partitioner: ({ message }: { message: { partition: number } }) => message.partition };
        expect(groupMessagesPerPartition(args)).toEqual(original(args));
      }),
      { numRuns: 300 },
    );
  });

  it('is the function kafkajs loads once alertgate imports kafkajs through src/kafka/kafkajs.ts', () => {
    const script = `
      import { createRequire } from 'node:module';
      await import('./dist/kafka/kafkajs.js');
      const { groupMessagesPerPartition, linearGroupingInstalled } = await import('./dist/kafka/linear-grouping.js');
      const require = createRequire(import.meta.url);
      const sendMessages = require.resolve('kafkajs/src/producer/sendMessages.js');
      console.log(JSON.stringify({
        installed: linearGroupingInstalled,
        cached: require('kafkajs/src/producer/groupMessagesPerPartition.js') === groupMessagesPerPartition,
        kafkajsLoaded: require.cache[sendMessages] !== undefined,
      }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ installed: true, cached: true, kafkajsLoaded: true });
  });

  it('is the function kafkajs loads in the CLI bundle too (bin/alertgate.js and the producer thread run it)', () => {
    // The bundle's chunk that holds src/kafka/kafkajs.ts; a bundler hoisting kafkajs above the install broke this once.
    const bundle = join(REPO, 'dist', 'bundle');
    const chunks = readdirSync(bundle).filter((f) => f.endsWith('.js') && readFileSync(join(bundle, f), 'utf8').includes('KAFKAJS_GROUPING_MODULE'));
    expect(chunks).toHaveLength(1);
    const script = `
      import { createRequire } from 'node:module';
      const chunk = ${JSON.stringify(join(bundle, chunks[0]!))};
      await import(chunk);
      const require = createRequire(chunk);
      const loaded = require('kafkajs/src/producer/groupMessagesPerPartition.js');
      console.log(JSON.stringify({ quadratic: loaded.toString().includes('Object.assign'), kafkajsLoaded: require.cache[require.resolve('kafkajs/src/producer/sendMessages.js')] !== undefined }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ quadratic: false, kafkajsLoaded: true });
  });
});
