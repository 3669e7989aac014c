import type { Portability } from './report.js';

/** Entity kinds whose values mean the same on every network (a port number is a service, not a machine). */
const PORTABLE_ENTITIES: ReadonlySet<string> = new Set(['dst_port', 'src_port']);

/**
 * Whether a proposal can carry over to another network: `network-tied` when it names an entity value
 * of this one (a host name, an address, a user: they name this network's machines and people),
 * `carries-over` when it names only signatures, detectors, ports and rule params (docs/tuning.md,
 * "Network-tied or carries over").
 */
export function portabilityOf(entityKinds: Iterable<string>): Portability {
  for (const kind of entityKinds) if (!PORTABLE_ENTITIES.has(kind)) return 'network-tied';
  return 'carries-over';
}
