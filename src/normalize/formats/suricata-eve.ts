import { builtinReader, isObject, type MappingInput } from './builtin.js';
import { mappedFormat } from './generic.js';

/**
 * Suricata EVE JSON alerts (`event_type: alert`). docs/formats.md, "suricata-eve", explains each
 * choice; fixtures/formats/suricata-eve.ndjson holds real-shaped records.
 */
export const SURICATA_EVE_MAPPING: MappingInput = {
  source: { const: 'suricata' },
  // EVE has no per-alert id (flow_id is per flow, and larger than a JSON number keeps exactly): the id
  // is a hash of the line.
  time: 'timestamp',
  name: 'alert.signature',
  // The classification priority: 1 is the most severe, so the 0–10 scale would read it backwards.
  // classification.config may define priorities beyond 4; they read as info.
  severity: { path: 'alert.severity', map: { '1': 'high', '2': 'medium', '3': 'low', '4-255': 'info' } },
  category: 'alert.category',
  entities: {
    src_ip: 'src_ip',
    src_port: 'src_port',
    dst_ip: 'dest_ip',
    dst_port: 'dest_port',
    proto: 'proto',
    sensor: 'host',
    signature_id: 'alert.signature_id',
    domain: ['http.hostname', 'tls.sni'],
  },
  tags: 'alert.metadata.tag',
};

export const suricataEveFormat = mappedFormat(
  'suricata-eve',
  builtinReader('suricata-eve', SURICATA_EVE_MAPPING),
  // Every EVE record has event_type; only alert records carry an `alert` object.
  (obj) => obj.event_type === 'alert' && isObject(obj.alert),
);
