import { builtinReader, type MappingInput } from './builtin.js';
import { mappedFormat } from './generic.js';

/**
 * Falco alerts as `json_output: true` writes them (and falcosidekick forwards them). Falco's field
 * names hold dots (`proc.name`) and are flat keys of `output_fields`. docs/formats.md, "falco".
 */
export const FALCO_MAPPING: MappingInput = {
  source: { const: 'falco' },
  // Falco 0.37+ writes a uuid per alert; older versions get a hash of the line.
  id: 'uuid',
  time: 'time',
  name: 'rule',
  // Emergency, Alert, Critical, Error, Warning, Notice, Informational, Debug: all severity words.
  severity: 'priority',
  // The event source: syscall, k8s_audit, aws_cloudtrail, ...
  category: 'source',
  entities: {
    host: 'hostname',
    process: 'output_fields["proc.name"]',
    command: 'output_fields["proc.cmdline"]',
    parent_process: 'output_fields["proc.pname"]',
    user: ['output_fields["user.name"]', 'output_fields["ka.user.name"]'],
    container: ['output_fields["container.name"]', 'output_fields["container.id"]'],
    container_id: 'output_fields["container.id"]',
    image: 'output_fields["container.image.repository"]',
    namespace: ['output_fields["k8s.ns.name"]', 'output_fields["ka.target.namespace"]'],
    pod: 'output_fields["k8s.pod.name"]',
    file: 'output_fields["fd.name"]',
  },
  tags: 'tags',
};

export const falcoFormat = mappedFormat(
  'falco',
  builtinReader('falco', FALCO_MAPPING),
  // Falco's rule is a name (a string) and it always writes a priority and the formatted output.
  (obj) => typeof obj.rule === 'string' && typeof obj.priority === 'string' && typeof obj.output === 'string',
);
