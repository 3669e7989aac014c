import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseChannelName, caseMessageId, caseTag, notificationMessageId } from '../../src/receivers/case-keys.js';
import { caseMessage, truncate } from '../../src/receivers/message.js';
import { fromHttpStatus, guarded, isNetworkError, parseRetryAfter } from '../../src/receivers/outcome.js';
import type { Receiver } from '../../src/receivers/receiver.js';
import { scrubSecrets, Secret, secretValues } from '../../src/receivers/secrets.js';
import { notification } from './fixtures.js';

describe('outcome: whether a failure is worth a retry', () => {
  it('429, 408, 425 and 5xx are retried; every other 4xx is failed', () => {
    for (const status of [408, 425, 429, 500, 502, 503, 504]) expect(fromHttpStatus('x', status, null, 0).outcome, String(status)).toBe('retry');
    for (const status of [400, 401, 403, 404, 405, 409, 410, 413, 422]) expect(fromHttpStatus('x', status, null, 0).outcome, String(status)).toBe('failed');
  });

  it('reads Retry-After as seconds or as an HTTP date against the clock; ignores what it cannot read', () => {
    const now = Date.parse('2026-11-20T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Fri, 20 Nov 2026 10:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Fri, 20 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(fromHttpStatus('Teams webhook', 503, '7', now, 'busy\n  now')).toEqual({ outcome: 'retry', error: 'Teams webhook: HTTP 503: busy now', retryAfterMs: 7000 });
  });

  it('finds a socket error or a timeout behind fetch\'s "fetch failed"', () => {
    expect(isNetworkError(new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }))).toBe(true);
    expect(isNetworkError(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toBe(true);
    expect(isNetworkError(new TypeError('Invalid URL'))).toBe(false);
  });

  it('a guarded receiver never throws: a bug is failed, the network is retried', async () => {
    const throwing = (err: Error): Receiver => {
      const fail = () => Promise.reject(err);
      return { name: 'r', type: 'test', send: fail, update: fail, resolve: fail };
    };
    expect(await guarded(throwing(new TypeError("Cannot read properties of undefined (reading 'ts')")), () => []).send(notification('open'), {})).toEqual({
      outcome: 'failed',
      error: 'test receiver "r": Cannot read properties of undefined (reading \'ts\')',
    });
    expect(await guarded(throwing(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), () => []).update(notification('update'), {})).toMatchObject({ outcome: 'retry' });
  });
});

describe('secrets: what the guard scrubs', () => {
  it('a token in a secret URL is redacted even when an error quotes only the URL\'s query or path', () => {
    const secret = new Secret('env:HOOK');
    secret.resolve({ HOOK: 'https://user:p4ssw0rd-long@hooks.example.com/services/T0001/B0002/abcdefghijklmnopqrstuvwx?sig=s1gn4ture-value&api-version=1' }, () => '');
    const values = secretValues([secret]);
    expect(scrubSecrets('POST /services/T0001/B0002/abcdefghijklmnopqrstuvwx failed', values)).toBe('POST /services/T0001/B0002/[redacted] failed');
    expect(scrubSecrets('bad request: sig=s1gn4ture-value', values)).toBe('bad request: sig=[redacted]');
    expect(scrubSecrets('login p4ssw0rd-long refused', values)).toBe('login [redacted] refused');
    expect(scrubSecrets('api-version=1 is old', values)).toBe('api-version=1 is old');
    expect(scrubSecrets(`quoted ${encodeURIComponent('https://user:p4ssw0rd-long@hooks.example.com/')}`, values)).not.toContain('p4ssw0rd-long');
  });

  it('an unresolved secret says so instead of giving a value; serialized it is its reference', () => {
    const secret = new Secret('file:/run/secrets/pd');
    expect(() => secret.reveal()).toThrow('secret file:/run/secrets/pd was not resolved');
    expect(JSON.stringify({ routingKey: secret })).toBe('{"routingKey":"file:/run/secrets/pd"}');
    expect(secret.resolve({}, () => { throw Object.assign(new Error('x'), { code: 'EACCES' }); })).toBe('file:/run/secrets/pd: cannot read the file (EACCES)');
  });
});

describe('message: one builder for every receiver', () => {
  it('says what every receiver shows, the same way each time', () => {
    const m = caseMessage(notification('escalate', { escalationLevel: 3, drill: true, classification: null, assignee: null }));
    expect(m.headline).toBe('DRILL: [CRITICAL] Brute force against web-01 from 203.0.113.7');
    expect(m.status).toBe('Escalated to level 3: not acknowledged yet');
    expect(m.fields.map((f) => f.label)).toEqual(['Severity', 'State', 'Classification', 'Assignee', 'On call', 'Entities', 'First seen', 'Last seen', 'Alerts', 'Top rules', 'Escalation level', 'Case']);
    expect(m.fields.find((f) => f.label === 'Classification')!.value).toBe('not classified');
    expect(m.tone).toBe('danger');
    expect(caseMessage(notification('escalate', { escalationLevel: 3, drill: true, classification: null, assignee: null }))).toEqual(m);
    expect(m.text.split('\n').slice(0, 3)).toEqual([m.headline, m.status, '']);
  });

  it('lists at most five rules and five values per entity kind, counting the rest', () => {
    const rules = Array.from({ length: 7 }, (_, i) => ({ id: `r${i}`, alerts: 10 - i }));
    const m = caseMessage(notification('update', { rules, entities: { user: ['a', 'b', 'c', 'd', 'e', 'f'], host: [] } }));
    expect(m.fields.find((f) => f.label === 'Top rules')!.value).toBe('r0 (10), r1 (9), r2 (8), r3 (7), r4 (6) (+2 more)');
    expect(m.fields.find((f) => f.label === 'Entities')!.value).toBe('host: ; user: a, b, c, d, e (+1 more)');
    expect(caseMessage(notification('resolve', { severity: 'low' })).tone).toBe('good');
  });

  it('truncate never exceeds the limit and never splits a surrogate pair (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.integer({ min: 2, max: 50 }), (text, max) => {
        const cut = truncate(text, max);
        if (text.length <= max) expect(cut).toBe(text);
        else expect(cut.length <= max && cut.endsWith('…')).toBe(true);
        expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(cut)).toBe(false);
      }),
    );
  });
});

describe('case keys: the names a case gets at each vendor (properties)', () => {
  const ids = fc.string({ minLength: 1, maxLength: 300 });

  it('the Slack channel name is always a name Slack accepts, and the same for the same id', () => {
    fc.assert(
      fc.property(ids, fc.constantFrom('', 'case-', 'inc_', 'soc-'), (id, prefix) => {
        const name = caseChannelName(prefix, id);
        expect(name).toMatch(/^[a-z0-9_-]{1,80}$/);
        expect(caseChannelName(prefix, id)).toBe(name);
      }),
    );
    expect(caseChannelName('case-', 'c-42')).toBe('case-c-42');
  });

  it('two cases never share a Slack channel, a tag or a Message-ID', () => {
    fc.assert(
      fc.property(ids, ids, (a, b) => {
        fc.pre(a !== b);
        expect(caseChannelName('case-', a)).not.toBe(caseChannelName('case-', b));
        expect(caseTag(a)).not.toBe(caseTag(b));
        expect(caseMessageId(a, 'x.example')).not.toBe(caseMessageId(b, 'x.example'));
      }),
    );
    // Only case differs: Slack lowercases, the hash keeps them apart.
    expect(caseChannelName('', 'Case-A')).not.toBe(caseChannelName('', 'case-a'));
  });

  it('the tag is a valid Jira label and block_id; Message-IDs are RFC 5322 dot-atoms', () => {
    fc.assert(
      fc.property(ids, (id) => {
        expect(caseTag(id)).toMatch(/^alertgate-case-[A-Za-z0-9_.:-]{1,240}$/);
        expect(caseMessageId(id, 'soc.example.com')).toMatch(/^<case\.[A-Za-z0-9_-]+@soc\.example\.com>$/);
        expect(notificationMessageId(`${id}:slack:open`, 'soc.example.com')).toMatch(/^<n\.[A-Za-z0-9_-]+@soc\.example\.com>$/);
      }),
    );
  });
});
