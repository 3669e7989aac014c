import { builtinReader, type MappingInput } from './builtin.js';
import { mappedFormat } from './generic.js';

/**
 * Zeek notice.log written as JSON (LogAscii::use_json). Connection fields are flat dotted keys
 * (`id.orig_h`). docs/formats.md, "zeek-notice".
 */
export const ZEEK_NOTICE_MAPPING: MappingInput = {
  source: { const: 'zeek' },
  // No per-notice id (uid is the connection's, absent for many notices): the id is a hash of the line.
  // Epoch seconds with a fraction, or ISO-8601 with LogAscii::json_timestamps.
  time: 'ts',
  // The notice type (SSH::Password_Guessing): stable, unlike msg, which quotes counts and addresses.
  name: 'note',
  // Notices carry no severity; site policy decides what matters, so every notice starts at medium.
  severity: { const: 'medium' },
  entities: {
    src_ip: ['src', 'id.orig_h'],
    dst_ip: ['dst', 'id.resp_h'],
    dst_port: ['p', 'id.resp_p'],
    uid: 'uid',
    file_id: 'fuid',
    sensor: 'peer_descr',
  },
  tags: 'actions',
};

export const zeekNoticeFormat = mappedFormat(
  'zeek-notice',
  builtinReader('zeek-notice', ZEEK_NOTICE_MAPPING),
  // `note` is notice.log's own field; every Zeek log has `ts`.
  (obj) => typeof obj.note === 'string' && obj.ts !== undefined,
);
