import type { CaseNotice, Notification, NotificationKind } from '../../src/receivers/receiver.js';

/** A case notice as the case stage writes it, with overrides. */
export function notice(overrides: Partial<CaseNotice> = {}): CaseNotice {
  return {
    caseId: 'case-7f3a9c',
    title: 'Brute force against web-01 from 203.0.113.7',
    severity: 'critical',
    classification: 'unauthorized-access',
    state: 'open',
    assignee: null,
    entities: { host: ['web-01'], src_ip: ['203.0.113.7'], user: ['alice', 'bob'] },
    firstSeen: '2026-11-20T10:00:00.000Z',
    lastSeen: '2026-11-20T10:14:30.000Z',
    alertCount: 42,
    rules: [
      { id: 'auth-brute-force', alerts: 40 },
      { id: 'recon-scan', alerts: 2 },
    ],
    summary: '40 failed logins for alice and bob on web-01 within 15 minutes, then a success.',
    link: 'https://alertgate.example.com/incidents/case-7f3a9c',
    escalationLevel: 1,
    oncall: 'ana',
    drill: false,
    ...overrides,
  };
}

/** A notification of `kind` to `receiver` about the notice. */
export function notification(kind: NotificationKind, overrides: Partial<CaseNotice> = {}, receiver = 'test'): Notification {
  const n = notice(overrides);
  return { id: `${n.caseId}:${receiver}:${kind}:${n.state}:${n.alertCount}`, caseId: n.caseId, receiver, kind, notice: n };
}
