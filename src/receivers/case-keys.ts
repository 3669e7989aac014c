import { createHash } from 'node:crypto';

/**
 * The names a case gets at each vendor, derived from its id alone so that a retry after a crash finds
 * what the first attempt made: the tag on its Slack message and Jira issue, the dedicated Slack
 * channel, the email Message-ID. Each keeps the id readable where the vendor allows its
 * characters, and adds a short hash of the id where it had to change it, so that two cases never share
 * a name.
 */

const HASH_CHARS = 8;

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, HASH_CHARS);
}

/**
 * `prefix + id` kept to the characters of the class `allowed` (others become `-`), lowercased if asked, at most `max`
 * characters; when that changed the id, `-<hash of the id>` is appended so the result stays unique.
 */
export function vendorName(prefix: string, id: string, options: { allowed: string; max: number; lowercase: boolean }): string {
  const cased = options.lowercase ? id.toLowerCase() : id;
  const cleaned = cased.replace(new RegExp(`[^${options.allowed}]+`, 'g'), '-');
  const plain = `${prefix}${cleaned}`;
  if (cleaned === id && plain.length <= options.max) return plain;
  const suffix = `-${hashOf(id)}`;
  return `${plain.slice(0, options.max - suffix.length)}${suffix}`;
}

/** Slack channel names: lowercase letters, digits, `-` and `_`, at most 80 characters. */
export function caseChannelName(prefix: string, caseId: string): string {
  return vendorName(prefix, caseId, { allowed: 'a-z0-9_-', max: 80, lowercase: true });
}

/**
 * The case's tag at a vendor: the label of its Jira issue and the block_id that marks its Slack
 * message (both at most 255 characters, no spaces), which a retried send searches for.
 */
export function caseTag(caseId: string): string {
  return vendorName('alertgate-case-', caseId, { allowed: 'A-Za-z0-9_.:-', max: 255, lowercase: false });
}

/** The Message-ID of a case's first email, which every later email of the case replies to (RFC 5322 id-left). */
export function caseMessageId(caseId: string, domain: string): string {
  return `<${vendorName('case.', caseId, { allowed: 'A-Za-z0-9_-', max: 200, lowercase: false })}@${domain}>`;
}

/** The Message-ID of one notification's email: the same on a retry, so a mail system can drop the duplicate. */
export function notificationMessageId(notificationId: string, domain: string): string {
  return `<${vendorName('n.', notificationId, { allowed: 'A-Za-z0-9_-', max: 200, lowercase: false })}@${domain}>`;
}
