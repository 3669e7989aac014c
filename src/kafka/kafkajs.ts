import { createRequire } from 'node:module';
import './linear-grouping.js';

/**
 * kafkajs, as alertgate uses it: every value import of kafkajs goes through here, so the producer's
 * linear message grouping (./linear-grouping.ts) is in place before kafkajs loads. Types may be
 * imported from 'kafkajs' directly.
 *
 * kafkajs is required in this module's body, not imported: a bundler that puts linear-grouping.ts in
 * this module's chunk hoists a static import of kafkajs above both modules' code, and kafkajs then
 * loaded its own quadratic grouping first (the CLI bundle did, from 2026-12-03 until this was found).
 */
const kafkajs = createRequire(import.meta.url)('kafkajs') as typeof import('kafkajs');

export const { Kafka, Partitioners, AssignerProtocol, CompressionCodecs, CompressionTypes, logLevel } = kafkajs;
