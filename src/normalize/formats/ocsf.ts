import { builtinReader, type MappingInput } from './builtin.js';
import { mappedFormat } from './generic.js';

/** OCSF Detection Finding, class_uid 2004 (OCSF 1.1+). docs/formats.md, "ocsf". */
export const OCSF_MAPPING: MappingInput = {
  source: { path: ['metadata.product.name', 'metadata.product.vendor_name'], default: 'ocsf' },
  id: ['finding_info.uid', 'metadata.uid'],
  // Epoch milliseconds (OCSF's timestamp_t).
  time: 'time',
  name: ['finding_info.title', 'finding_info.analytic.name', 'message'],
  // severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical, 6 Fatal; 0 Unknown and 99 Other
  // say nothing about severity, so they take the default.
  severity: { path: 'severity_id', map: { '1': 'info', '2': 'low', '3': 'medium', '4': 'high', '5-6': 'critical' }, default: 'medium' },
  category: ['finding_info.types.0', 'finding_info.analytic.type'],
  entities: {
    host: ['device.hostname', 'device.name'],
    host_ip: 'device.ip',
    src_ip: ['src_endpoint.ip', 'evidences.0.src_endpoint.ip'],
    dst_ip: ['dst_endpoint.ip', 'evidences.0.dst_endpoint.ip'],
    user: ['actor.user.name', 'evidences.0.actor.user.name'],
    process: ['actor.process.name', 'evidences.0.process.name'],
    resource: 'resources.0.uid',
    rule_id: 'finding_info.analytic.uid',
  },
  tags: 'metadata.labels',
};

export const ocsfFormat = mappedFormat(
  'ocsf',
  builtinReader('ocsf', OCSF_MAPPING),
  // The class is the record's type in OCSF; other classes (Security Finding 2001, ...) are not read.
  (obj) => obj.class_uid === 2004,
);
