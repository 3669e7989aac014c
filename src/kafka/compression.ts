import { promisify } from 'node:util';
import { gzip, unzip } from 'node:zlib';
import { CompressionCodecs, CompressionTypes } from './kafkajs.js';
const gzipAsync = promisify(gzip);
const unzipAsync = promisify(unzip);

/**
 * kafkajs compresses with zlib's default level (6). Decisions are JSON and shrink about tenfold
 * at level 1 already, at a third of the CPU, and zlib works on libuv's threads, beside the decide
 * loop. Any Kafka client reads it. Registered once per process: kafkajs keeps codecs globally.
 */
export function useFastGzip(): void {
  CompressionCodecs[CompressionTypes.GZIP] = () => ({
    compress: (encoder: { buffer: Buffer }) => gzipAsync(encoder.buffer, { level: 1 }),
    decompress: (buffer: Buffer) => unzipAsync(buffer),
  });
}

export const COMPRESSION_TYPES = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP } as const;
