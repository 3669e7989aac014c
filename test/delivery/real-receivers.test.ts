/**
 * The delivery stage with the real PagerDuty and Jira receivers (src/receivers/pagerduty.ts, jira.ts),
 * every request checked against the vendors' published contracts by Prism in front of stateful fakes
 * (test/receivers/vendor-fakes.ts): the failure tests of delivery.test.ts run on test receivers that can
 * be killed mid-call; these show the same guarantees hold for what people actually get paged with.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createReceivers, ReceiversConfig } from '../../src/receivers/config.js';
import type { FakeServer } from '../receivers/fake-server.js';
import { contractFor, startContractProxy, type ContractProxy } from '../receivers/prism.js';
import { API_TOKEN, EMAIL, jiraFake, pagerDutyFake, ROUTING_KEY, type Alert, type Issue } from '../receivers/vendor-fakes.js';
import { describeLedger } from '../ledger/backends.js';
import { deliveryRig } from './harness.js';

const contractsDir = inject('contractsDir');
const MIN = 60_000;
/** Level 1 only: the page and the ticket at once. */
const PAGE_AND_TICKET = 'timezone: UTC\npolicies:\n  - name: page\n    levels:\n      - notify: [pager, tickets]\n';

describe.skipIf(!contractsDir)('delivery through the real PagerDuty and Jira receivers, against the vendors\' contracts', () => {
  const alerts = new Map<string, Alert>();
  const issues: Issue[] = [];
  let pd: FakeServer;
  let jira: FakeServer;
  let pdProxy: ContractProxy;
  let jiraProxy: ContractProxy;

  beforeAll(async () => {
    let jiraUrl = '';
    pd = await pagerDutyFake(alerts);
    jira = await jiraFake(issues, () => jiraUrl);
    [pdProxy, jiraProxy] = await Promise.all([startContractProxy(contractFor('pagerduty', contractsDir), pd.url), startContractProxy(contractFor('jira', contractsDir), jira.url)]);
    jiraUrl = jiraProxy.url;
  });
  afterAll(async () => {
    await Promise.all([pdProxy?.close(), jiraProxy?.close()]);
    await Promise.all([pd?.close(), jira?.close()]);
  });

  const realReceivers = () => {
    const config = ReceiversConfig.parse({
      named: {
        pager: { type: 'pagerduty', routingKey: 'env:PD_KEY', url: `${pdProxy.url}/enqueue` },
        tickets: { type: 'jira', host: jiraProxy.url, email: EMAIL, apiToken: 'env:JIRA_TOKEN', project: 'SEC' },
      },
    });
    return [...createReceivers(config, { env: { PD_KEY: ROUTING_KEY, JIRA_TOKEN: API_TOKEN } }).values()];
  };

  describeLedger('real receivers', (fresh, backend) => {
    it('PagerDuty down (503) then a 429 storm, Jira throttled, cases acknowledged and resolved meanwhile: nothing lost, one alert and one issue per case, each resolved and transitioned, in order', async () => {
      // Each backend's run gets the same case ids: the vendors start empty for each (PagerDuty's incident numbers go on).
      const incidentsBefore = Math.max(0, ...[...alerts.values()].map((a) => a.incident));
      alerts.clear();
      issues.length = 0;
      const r = await deliveryRig(fresh, { escalationYaml: PAGE_AND_TICKET, receivers: realReceivers });
      try {
        const pdBefore = pd.requests.length;
        const cases = await r.openCases(6);
        // PagerDuty fails its next 15 answers, then throttles 10 with Retry-After: 30; Jira throttles 4 issue creations.
        pd.failNext({ status: 503, body: { status: 'unavailable', message: 'Service Unavailable' } }, { times: 15 });
        pd.failNext({ status: 429, headers: { 'retry-after': '30' } }, { times: 10 });
        jira.failNext({ status: 429, headers: { 'retry-after': '20' }, body: { errorMessages: ['Rate limit exceeded.'], errors: {} } }, { times: 4, path: '/rest/api/3/issue' });
        await r.runFor(2 * MIN);
        for (const id of cases.slice(0, 2)) expect((await r.ledger.cases.act(id, 'acknowledge', { actor: 'cli:ana' })).status).toBe('done');
        for (const id of cases.slice(2, 5)) expect((await r.ledger.cases.act(id, 'resolve', { actor: 'cli:ana', note: 'contained' })).status).toBe('done');
        await r.settle();

        const tally = await r.ledger.outbox.tally();
        const sum = (k: 'delivered' | 'dead' | 'pending') => tally.reduce((n, t) => n + t[k], 0);
        // 6 cases × (open to both) + 2 acks × 2 + 3 resolves × 2.
        expect({ notifications: sum('delivered') + sum('dead') + sum('pending'), delivered: sum('delivered'), dead: sum('dead'), pending: sum('pending') }).toEqual({ notifications: 22, delivered: 22, dead: 0, pending: 0 });
        // One PagerDuty incident and one Jira issue per case: no one paged twice, no second ticket (the
        // fake numbers incidents in order, so a second incident for a case would show as a number past the cases').
        expect([...alerts.keys()].sort()).toEqual([...cases].sort());
        const duplicates = Math.max(...[...alerts.values()].map((a) => a.incident)) - incidentsBefore - cases.length + (issues.length - cases.length);
        expect(duplicates).toBe(0);
        for (const id of cases) expect(issues.filter((i) => (i.fields.labels as string[]).includes(`alertgate-case-${id}`)), id).toHaveLength(1);
        // The page follows the case: acknowledged, resolved; the ticket is transitioned on resolve.
        expect(cases.map((id) => alerts.get(id)!.status)).toEqual(['acknowledged', 'acknowledged', 'resolved', 'resolved', 'resolved', 'triggered']);
        const issueOf = (id: string) => issues.find((i) => (i.fields.labels as string[]).includes(`alertgate-case-${id}`))!;
        expect(cases.map((id) => issueOf(id).status)).toEqual(['To Do', 'To Do', 'Done', 'Done', 'Done', 'To Do']);
        // Order per case at PagerDuty: the trigger first, then what followed it.
        const events = pd.requests.slice(pdBefore).filter((q) => q.path === '/enqueue').map((q) => JSON.parse(q.body) as { event_action: string; dedup_key: string });
        for (const [i, id] of cases.entries()) {
          const actions = [...new Set(events.filter((e) => e.dedup_key === id).map((e) => e.event_action))];
          expect(actions, id).toEqual(i < 2 ? ['trigger', 'acknowledge'] : i < 5 ? ['trigger', 'resolve'] : ['trigger']);
        }
        const failed = tally.reduce((n, t) => n + t.failedAttempts, 0);
        // Each failing answer was one attempt, and every one was answered (none is left queued at the fakes).
        expect(failed).toBe(29);
        console.log(`[${backend}] real PagerDuty + Jira receivers, 503 ×15, 429 ×10 (PagerDuty), 429 ×4 (Jira): ${JSON.stringify({ notifications: 22, delivered: sum('delivered'), deadLettered: sum('dead'), duplicates, lost: sum('pending'), failedAttempts: failed })}`);
      } finally {
        await r.close();
      }
    });
  });
});
