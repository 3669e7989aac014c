import { builtinReader, isObject, type MappingInput } from './builtin.js';
import { mappedFormat } from './generic.js';

/**
 * Elastic Common Schema documents, nested (`{"source": {"ip": …}}`) or flattened (`{"source.ip": …}`)
 * or both, as Elastic Security's alerts are. docs/formats.md, "ecs".
 */
export const ECS_MAPPING: MappingInput = {
  // The integration that produced it (suricata, endpoint, okta, ...), else the shipper.
  source: { path: ['event.module', 'observer.product', 'agent.type'], default: 'ecs' },
  id: ['kibana.alert.uuid', 'event.id'],
  time: '@timestamp',
  // Elastic Security's rule, else the ECS rule, else what happened.
  name: ['kibana.alert.rule.name', 'rule.name', 'event.action'],
  // Words as Elastic Security writes them; numbers on its 0–100 risk-score scale, in the bands its
  // rule editor uses (low 21, medium 47, high 73, critical 99).
  severity: {
    path: ['kibana.alert.severity', 'event.severity'],
    map: { low: 'low', medium: 'medium', high: 'high', critical: 'critical', '0-21': 'low', '22-47': 'medium', '48-73': 'high', '74-100': 'critical' },
    default: 'medium',
  },
  // event.category is a list in ECS; some shippers write one string.
  category: ['event.category.0', 'event.category'],
  entities: {
    host: ['host.name', 'host.hostname'],
    host_ip: ['host.ip.0', 'host.ip'],
    src_ip: 'source.ip',
    src_port: 'source.port',
    dst_ip: 'destination.ip',
    dst_port: 'destination.port',
    user: 'user.name',
    process: 'process.name',
    file_hash: 'file.hash.sha256',
    domain: ['url.domain', 'dns.question.name'],
    url: 'url.full',
    rule_id: ['kibana.alert.rule.uuid', 'rule.id'],
  },
  tags: ['kibana.alert.rule.tags', 'tags'],
};

export const ecsFormat = mappedFormat(
  'ecs',
  builtinReader('ecs', ECS_MAPPING),
  // Every ECS document states its ECS version, nested or as one flat key, and has @timestamp.
  (obj) => obj['@timestamp'] !== undefined && ((isObject(obj.ecs) && typeof obj.ecs.version === 'string') || typeof obj['ecs.version'] === 'string'),
);
