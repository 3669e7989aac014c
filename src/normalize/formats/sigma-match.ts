import { builtinReader, isObject, type MappingInput } from './builtin.js';
import { mappedFormat } from './generic.js';

/**
 * A Sigma rule hit in the shape Chainsaw's `hunt --json`/`--jsonl` writes: the rule (name, id,
 * level, status, logsource) beside the matched document(s). docs/formats.md, "sigma-match", says why
 * this shape and how to read Zircolite's and Hayabusa's.
 */
export const SIGMA_MATCH_MAPPING: MappingInput = {
  // "sigma" for Sigma rules, "chainsaw" for Chainsaw's own.
  source: { path: 'source', default: 'sigma' },
  // `id` is the rule's id, not the hit's: the hit's id is a hash of the line.
  time: 'timestamp',
  name: 'name',
  // Sigma levels: informational, low, medium, high, critical.
  severity: 'level',
  category: ['logsource.category', 'logsource.service'],
  // Windows event fields of the matched document (an aggregate hit: of its first document).
  entities: {
    host: ['document.data.Event.System.Computer', 'documents.0.data.Event.System.Computer'],
    user: [
      'document.data.Event.EventData.TargetUserName',
      'document.data.Event.EventData.SubjectUserName',
      'document.data.Event.EventData.User',
      'documents.0.data.Event.EventData.TargetUserName',
    ],
    src_ip: ['document.data.Event.EventData.IpAddress', 'documents.0.data.Event.EventData.IpAddress'],
    process: ['document.data.Event.EventData.Image', 'document.data.Event.EventData.NewProcessName'],
    rule_id: 'id',
  },
  tags: 'tags',
};

export const sigmaMatchFormat = mappedFormat(
  'sigma-match',
  builtinReader('sigma-match', SIGMA_MATCH_MAPPING),
  // A rule name and level beside the document(s) it matched.
  (obj) =>
    typeof obj.name === 'string' && typeof obj.level === 'string' && obj.timestamp !== undefined && (isObject(obj.document) || Array.isArray(obj.documents)),
);
