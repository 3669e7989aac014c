import { builtinReader, isObject, type MappingInput } from './builtin.js';
import { mappedFormat } from './generic.js';

/** Wazuh manager alerts (alerts.json, or the wazuh-alerts-* index). docs/formats.md, "wazuh". */
export const WAZUH_MAPPING: MappingInput = {
  source: { const: 'wazuh' },
  // "1639396358.5588": unique per alert on one manager.
  id: 'id',
  time: 'timestamp',
  name: 'rule.description',
  // Rule levels run 0–16 (12 and above: "high importance" in Wazuh's own classification).
  severity: { path: 'rule.level', map: { '0-3': 'info', '4-6': 'low', '7-9': 'medium', '10-12': 'high', '13-16': 'critical' } },
  // The first MITRE ATT&CK tactic when the rule has one, else the rule's first group (syslog, ossec, ...).
  category: ['rule.mitre.tactic.0', 'rule.groups.0'],
  entities: {
    host: 'agent.name',
    host_ip: 'agent.ip',
    // Decoders name the remote address and the account differently: the first present wins.
    src_ip: ['data.srcip', 'data.src_ip', 'data.win.eventdata.ipAddress'],
    dst_ip: ['data.dstip', 'data.dest_ip'],
    user: ['data.dstuser', 'data.srcuser', 'data.win.eventdata.targetUserName'],
    rule_id: 'rule.id',
    location: 'location',
  },
  tags: 'rule.groups',
};

export const wazuhFormat = mappedFormat(
  'wazuh',
  builtinReader('wazuh', WAZUH_MAPPING),
  // A numeric rule level and an agent: Falco's `rule` is a string, ECS's has no level.
  (obj) => isObject(obj.rule) && typeof obj.rule.level === 'number' && isObject(obj.agent),
);
