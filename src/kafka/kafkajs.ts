/**
 * kafkajs, as alertgate uses it: every value import of kafkajs goes through here, so the producer's
 * linear message grouping (./linear-grouping.ts) is in place before kafkajs loads. Types may be
 * imported from 'kafkajs' directly.
 */
import './linear-grouping.js';
import kafkajs from 'kafkajs';

export const { Kafka, Partitioners, AssignerProtocol, CompressionCodecs, CompressionTypes, logLevel } = kafkajs;
