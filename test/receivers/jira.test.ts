import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createReceivers, ReceiversConfig } from '../../src/receivers/config.js';
import type { Receiver, ReceiverState } from '../../src/receivers/receiver.js';
import type { FakeServer } from './fake-server.js';
import { notification } from './fixtures.js';
import { contractFor, startContractProxy, type ContractProxy } from './prism.js';
import { API_TOKEN, AUTH, EMAIL, jiraFake, type Issue } from './vendor-fakes.js';

const contractsDir = inject('contractsDir');
describe.skipIf(!contractsDir)('Jira receiver against the Jira Cloud platform contract (prism proxy) and a Jira fake', () => {
  const issues: Issue[] = [];
  let fake: FakeServer;
  let prism: ContractProxy;
  let jira: Receiver;

  function options(overrides: Record<string, unknown> = {}) {
    return { type: 'jira', host: prism.url, email: EMAIL, apiToken: 'env:JIRA_TOKEN', project: 'SEC', ...overrides };
  }
  function receiver(overrides: Record<string, unknown> = {}, token = API_TOKEN): Receiver {
    const config = ReceiversConfig.parse({ named: { tickets: options(overrides) } });
    return createReceivers(config, { env: { JIRA_TOKEN: token } }).get('tickets')!;
  }
  function calls(since: number): string[] {
    return fake.requests.slice(since).map((r) => `${r.method} ${r.path.replace(/SEC-\d+|\d{5}/, '{issue}')}`);
  }
  function issueOf(result: unknown): Issue {
    const key = (result as { state: ReceiverState }).state.issueKey;
    return issues.find((i) => i.key === key)!;
  }

  beforeAll(async () => {
    let prismUrl = '';
    fake = await jiraFake(issues, () => prismUrl);
    prism = await startContractProxy(contractFor('jira', contractsDir), fake.url);
    prismUrl = prism.url;
    jira = receiver({ securityLevelId: '10001', labels: ['alertgate', 'soc'] });
  });
  afterAll(async () => {
    await prism?.close();
    await fake?.close();
  });

  it('the contract check can fail: requests that break the contract are refused before they reach Jira', async () => {
    const before = fake.requests.length;
    const create = await fetch(`${prism.url}/rest/api/3/issue`, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ fields: 'SEC' }) });
    expect(create.status).toBeGreaterThanOrEqual(400);
    expect(create.status).toBeLessThan(500);
    const search = await fetch(`${prism.url}/rest/api/3/search/jql?maxResults=many`, { headers: { authorization: AUTH } });
    expect(search.status).toBeGreaterThanOrEqual(400);
    expect(search.status).toBeLessThan(500);
    expect(fake.requests.length).toBe(before);
  });

  it('send creates an issue: project, type, priority by severity, labels with the case label, the security level, an ADF description', async () => {
    const before = fake.requests.length;
    const result = await jira.send(notification('open', { caseId: 'case-j1' }), {});
    expect(result).toEqual({ outcome: 'delivered', state: { issueKey: expect.stringMatching(/^SEC-\d+$/) } });
    expect(calls(before)).toEqual(['GET /rest/api/3/search/jql', 'POST /rest/api/3/issue']);
    const { fields } = issueOf(result);
    expect(fields).toMatchObject({
      project: { key: 'SEC' },
      issuetype: { name: 'Task' },
      summary: '[CRITICAL] Brute force against web-01 from 203.0.113.7',
      priority: { name: 'Highest' },
      labels: ['alertgate', 'soc', 'alertgate-case-case-j1'],
      security: { id: '10001' },
      description: { type: 'doc', version: 1 },
    });
    const description = JSON.stringify(fields.description);
    for (const part of ['"New case"', '"Entities: "', '"host: web-01; src_ip: 203.0.113.7; user: alice, bob"', '"href":"https://alertgate.example.com/incidents/case-7f3a9c"']) expect(description).toContain(part);
  });

  it('a retried Jira send finds the existing issue (no second ticket)', async () => {
    const n = notification('open', { caseId: 'case-j-retry', severity: 'medium' });
    const first = await jira.send(n, {});
    const before = fake.requests.length;
    // The outbox never recorded the first answer: the same notification comes again with no state.
    const second = await jira.send(n, {});
    expect(second).toEqual(first);
    expect(calls(before)).toEqual(['GET /rest/api/3/search/jql']);
    expect(issues.filter((i) => (i.fields.labels as string[]).includes('alertgate-case-case-j-retry'))).toHaveLength(1);
    expect(issueOf(first).fields.priority).toEqual({ name: 'Medium' });
  });

  it('an update comments on the issue once: retried after a crash, it finds its comment', async () => {
    const { state } = (await jira.send(notification('open', { caseId: 'case-j-grow' }), {})) as { state: ReceiverState };
    const update = notification('update', { caseId: 'case-j-grow', alertCount: 80 });
    expect(await jira.update(update, state)).toEqual({ outcome: 'delivered', state });
    expect(await jira.update(update, state)).toEqual({ outcome: 'delivered', state });
    const issue = issues.find((i) => i.key === state.issueKey)!;
    expect(issue.comments).toHaveLength(1);
    expect(JSON.stringify(issue.comments[0]!.body)).toContain('"Alerts: ","marks":[{"type":"strong"}]},{"type":"text","text":"80"');
  });

  it('resolve transitions the Jira issue (and comments once); a retried resolve neither transitions nor comments again', async () => {
    const { state } = (await jira.send(notification('open', { caseId: 'case-j-done' }), {})) as { state: ReceiverState };
    const resolve = notification('resolve', { caseId: 'case-j-done', state: 'resolved', assignee: 'ana' });
    const before = fake.requests.length;
    expect(await jira.resolve(resolve, state)).toEqual({ outcome: 'delivered', state });
    expect(calls(before)).toEqual([
      'GET /rest/api/3/issue/{issue}/transitions',
      'POST /rest/api/3/issue/{issue}/transitions',
      'GET /rest/api/3/issue/{issue}/comment',
      'POST /rest/api/3/issue/{issue}/comment',
    ]);
    const issue = issues.find((i) => i.key === state.issueKey)!;
    expect(issue.status).toBe('Done');
    expect(fake.requests.at(-3)!.body).toBe('{"transition":{"id":"31"}}');
    expect(JSON.stringify(issue.comments[0]!.body)).toContain('Resolved by ana');
    const again = fake.requests.length;
    expect(await jira.resolve(resolve, state)).toEqual({ outcome: 'delivered', state });
    expect(calls(again)).toEqual(['GET /rest/api/3/issue/{issue}/transitions', 'GET /rest/api/3/issue/{issue}', 'GET /rest/api/3/issue/{issue}/comment']);
    expect(issue.comments).toHaveLength(1);
  });

  it('a resolve transition the workflow does not offer → failed, naming the ones it does', async () => {
    const strict = receiver({ resolveTransition: 'Close incident' });
    const { state } = (await strict.send(notification('open', { caseId: 'case-j-wf' }), {})) as { state: ReceiverState };
    expect(await strict.resolve(notification('resolve', { caseId: 'case-j-wf', state: 'resolved' }), state)).toEqual({
      outcome: 'failed',
      error: `Jira doTransition: ${state.issueKey} in status "To Do" has no transition "Close incident" (offered: "Start work", "Done"); set resolveTransition`,
    });
  });

  it('400 → failed with Jira\'s reason; 401 → failed', async () => {
    expect(await receiver({ priority: { critical: 'Blocker' } }).send(notification('open', { caseId: 'case-j-400' }), {})).toEqual({
      outcome: 'failed',
      error: 'Jira createIssue: HTTP 400: priority: Specify a valid priority name',
    });
    expect(await receiver({}, 'not-the-token-0000').send(notification('open', { caseId: 'case-j-401' }), {})).toEqual({
      outcome: 'failed',
      error: 'Jira search: HTTP 401: You are not authenticated.',
    });
  });

  // The contract lists no 429 or 503 for these operations (Jira sends them all the same), so these go
  // to the fake directly, a real HTTP server on loopback.
  it('429 → retry with the Retry-After delay; 503 → retry', async () => {
    const config = ReceiversConfig.parse({ named: { direct: { ...options(), host: fake.url } } });
    const direct = createReceivers(config, { env: { JIRA_TOKEN: API_TOKEN } }).get('direct')!;
    fake.failNext({ status: 429, headers: { 'retry-after': '20' }, body: { errorMessages: ['Rate limit exceeded.'], errors: {} } }, { path: '/rest/api/3/issue' });
    expect(await direct.send(notification('open', { caseId: 'case-j-429' }), {})).toEqual({
      outcome: 'retry',
      error: 'Jira createIssue: HTTP 429: Rate limit exceeded.',
      retryAfterMs: 20_000,
    });
    fake.failNext({ status: 503, body: { errorMessages: ['Service unavailable'], errors: {} } });
    expect(await direct.send(notification('open', { caseId: 'case-j-503' }), {})).toMatchObject({ outcome: 'retry', error: 'Jira search: HTTP 503: Service unavailable' });
    expect(issues.some((i) => (i.fields.labels as string[]).includes('alertgate-case-case-j-429'))).toBe(false);
  });
});
