/**
 * Stateful fakes of PagerDuty's Events API v2 and of Jira Cloud, real HTTP servers on loopback (./fake-server.ts):
 * the receiver suites put Prism (./prism.ts) in front of them to check every request and answer against the
 * vendor's contract, and so does the delivery suite that runs the real receivers (test/delivery/real-receivers.test.ts).
 */
import { startFake, type Recorded, type Reply } from './fake-server.js';

export const ROUTING_KEY = 'R0UTINGKEY0123456789abcdef012345';

export interface Alert {
  status: 'triggered' | 'acknowledged' | 'resolved';
  incident: number;
}

/** PagerDuty's Events API as it behaves for one service: alerts by dedup_key, a new incident when a resolved one triggers again. */
export function pagerDutyFake(alerts: Map<string, Alert>) {
  let incidents = 0;
  return startFake((req) => {
    if (req.method !== 'POST' || req.path !== '/enqueue') return { status: 404, body: { status: 'invalid path' } };
    const event = JSON.parse(req.body) as { routing_key: string; event_action: 'trigger' | 'acknowledge' | 'resolve'; dedup_key: string };
    if (event.routing_key !== ROUTING_KEY) return { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors: ['Invalid routing key'] } };
    const alert = alerts.get(event.dedup_key);
    if (event.event_action === 'trigger') {
      if (alert === undefined || alert.status === 'resolved') alerts.set(event.dedup_key, { status: 'triggered', incident: ++incidents });
    } else if (alert !== undefined && alert.status !== 'resolved') {
      alert.status = event.event_action === 'acknowledge' ? 'acknowledged' : 'resolved';
    }
    return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: event.dedup_key } };
  });
}

export const EMAIL = 'alertgate@example.com';
export const API_TOKEN = 'ATATT3xFfGF0-secret-jira-token';
export const AUTH = `Basic ${Buffer.from(`${EMAIL}:${API_TOKEN}`).toString('base64')}`;

export interface Issue {
  id: string;
  key: string;
  fields: Record<string, unknown>;
  status: 'To Do' | 'In Progress' | 'Done';
  comments: { id: string; body: unknown }[];
}

const CATEGORY = { 'To Do': 'new', 'In Progress': 'indeterminate', Done: 'done' } as const;

/** Jira Cloud for one project: issues with labels, comments, and a To Do → In Progress → Done workflow. */
export function jiraFake(issues: Issue[], base: () => string) {
  let nextId = 10000;
  const status = (issue: Issue) => ({ name: issue.status, id: String(Object.keys(CATEGORY).indexOf(issue.status) + 1), statusCategory: { key: CATEGORY[issue.status], name: issue.status } });
  const bean = (issue: Issue) => ({ id: issue.id, key: issue.key, self: `${base()}/rest/api/3/issue/${issue.id}`, fields: { status: status(issue) } });
  const bad = (status: number, errors: Record<string, string>, errorMessages: string[] = []): Reply => ({ status, body: { errorMessages, errors } });
  return startFake((req: Recorded): Reply => {
    if (req.headers.authorization !== AUTH) return { status: 401, body: { errorMessages: ['You are not authenticated.'], errors: {} } };
    if (req.method === 'POST' && req.path === '/rest/api/3/issue') {
      const { fields } = JSON.parse(req.body) as { fields: Record<string, { key?: string; name?: string } | string | string[]> };
      if ((fields.project as { key: string }).key !== 'SEC') return bad(400, { project: 'valid project is required' });
      if (!['Task', 'Incident'].includes((fields.issuetype as { name: string }).name)) return bad(400, { issuetype: 'Specify a valid issue type' });
      if (!['Highest', 'High', 'Medium', 'Low', 'P1'].includes((fields.priority as { name: string }).name)) return bad(400, { priority: 'Specify a valid priority name' });
      const id = String(nextId++);
      const issue: Issue = { id, key: `SEC-${issues.length + 1}`, fields, status: 'To Do', comments: [] };
      issues.push(issue);
      return { status: 201, body: { id, key: issue.key, self: `${base()}/rest/api/3/issue/${id}` } };
    }
    if (req.method === 'GET' && req.path === '/rest/api/3/search/jql') {
      const label = /labels = "([^"]+)"/.exec(req.query.get('jql') ?? '')?.[1];
      const found = issues.filter((i) => (i.fields.labels as string[]).includes(label ?? ''));
      return { status: 200, body: { issues: found.slice(0, Number(req.query.get('maxResults') ?? 50)).map(bean), isLast: true } };
    }
    const match = /^\/rest\/api\/3\/issue\/([^/]+)(\/comment|\/transitions)?$/.exec(req.path);
    const issue = issues.find((i) => i.key === match?.[1] || i.id === match?.[1]);
    if (match === null || issue === undefined) return { status: 404, body: { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} } };
    const key = `${req.method} ${match[2] ?? ''}`;
    switch (key) {
      case 'GET ':
        return { status: 200, body: bean(issue) };
      case 'GET /comment': {
        const newest = [...issue.comments].reverse().slice(0, Number(req.query.get('maxResults') ?? 50));
        return { status: 200, body: { startAt: 0, maxResults: newest.length, total: issue.comments.length, comments: newest } };
      }
      case 'POST /comment': {
        const comment = { id: String(nextId++), body: (JSON.parse(req.body) as { body: unknown }).body };
        issue.comments.push(comment);
        return { status: 201, body: comment };
      }
      case 'GET /transitions': {
        const offered = issue.status === 'Done' ? [{ id: '11', name: 'Reopen' }] : [{ id: '21', name: 'Start work' }, { id: '31', name: 'Done' }];
        return { status: 200, body: { transitions: offered } };
      }
      case 'POST /transitions': {
        const id = (JSON.parse(req.body) as { transition: { id: string } }).transition.id;
        if (issue.status === 'Done' || !['21', '31'].includes(id)) return bad(400, {}, [`Transition id '${id}' is not valid for this issue.`]);
        issue.status = id === '31' ? 'Done' : 'In Progress';
        // The contract gives this 204 a JSON media type, so the fake names one.
        return { status: 204, headers: { 'content-type': 'application/json' } };
      }
      default:
        return { status: 405, body: { errorMessages: ['method not allowed'], errors: {} } };
    }
  });
}
