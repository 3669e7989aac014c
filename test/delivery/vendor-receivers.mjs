// Test receivers behind the Receiver interface (src/receivers/receiver.ts), talking HTTP to the test
// vendor server (vendor-server.ts). Plain JavaScript so that a child process (the kill -9 test) can
// load them without a TypeScript step; vendor-receivers.d.mts gives the tests their types.

async function call(url, init) {
  try {
    const response = await fetch(url, init);
    const text = await response.text();
    return { status: response.status, text, retryAfter: response.headers.get('retry-after') };
  } catch (err) {
    return { status: 0, text: `${init.method} ${url}: ${err.cause?.code ?? err.message}` };
  }
}

/** A vendor answer as a delivery result: 2xx delivered, 429 and 5xx (or no answer) retry, other 4xx failed. */
function resultOf(answer, state) {
  if (answer.status >= 200 && answer.status < 300) return { outcome: 'delivered', state };
  if (answer.status === 0 || answer.status === 429 || answer.status >= 500) {
    const seconds = Number(answer.retryAfter);
    return { outcome: 'retry', error: answer.status === 0 ? answer.text : `HTTP ${answer.status}: ${answer.text}`, ...(Number.isFinite(seconds) && answer.retryAfter !== null ? { retryAfterMs: seconds * 1000 } : {}) };
  }
  return { outcome: 'failed', error: `HTTP ${answer.status}: ${answer.text}` };
}

/** PagerDuty-like: one incident per dedup_key (the case id); a trigger for an open incident is deduplicated by the vendor. */
export class PagerReceiver {
  type = 'test-pager';
  constructor(name, baseUrl, routingKey) {
    this.name = name;
    this.baseUrl = baseUrl;
    this.routingKey = routingKey;
    this.secrets = [routingKey];
  }
  send(n) {
    return this.event('trigger', n);
  }
  update(n) {
    return this.event(n.notice.state === 'acknowledged' ? 'acknowledge' : 'update', n);
  }
  resolve(n) {
    return this.event('resolve', n);
  }
  async event(action, n) {
    const answer = await call(`${this.baseUrl}/pager/enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Token token=${this.routingKey}` },
      body: JSON.stringify({ routing_key: this.routingKey, event_action: action, dedup_key: n.caseId, notification: n.id, kind: n.kind, payload: { summary: n.notice.title, severity: n.notice.severity, level: n.notice.escalationLevel, oncall: n.notice.oncall } }),
    });
    return resultOf(answer, { dedupKey: n.caseId });
  }
}

/** Jira-like: a ticket per case, found again by its label so that a send repeated after a crash makes no second ticket. */
export class TicketReceiver {
  type = 'test-tickets';
  constructor(name, baseUrl, token) {
    this.name = name;
    this.baseUrl = baseUrl;
    this.token = token;
    this.secrets = [token];
  }
  headers() {
    return { 'content-type': 'application/json', authorization: `Bearer ${this.token}` };
  }
  async find(caseId) {
    const answer = await call(`${this.baseUrl}/tickets?label=${encodeURIComponent(caseId)}`, { method: 'GET', headers: this.headers() });
    if (answer.status !== 200) return { answer };
    return { key: JSON.parse(answer.text).tickets[0]?.key };
  }
  async send(n, state) {
    if (state.key) return { outcome: 'delivered' };
    const found = await this.find(n.caseId);
    if (found.answer) return resultOf(found.answer);
    if (found.key) return { outcome: 'delivered', state: { key: found.key } };
    const answer = await call(`${this.baseUrl}/tickets`, { method: 'POST', headers: this.headers(), body: JSON.stringify({ label: n.caseId, summary: n.notice.title, notification: n.id }) });
    return resultOf(answer, answer.status === 201 ? { key: JSON.parse(answer.text).key } : undefined);
  }
  async update(n, state) {
    const key = state.key ?? (await this.find(n.caseId)).key;
    if (!key) return this.send(n, state);
    return resultOf(await call(`${this.baseUrl}/tickets/${key}/comments`, { method: 'POST', headers: this.headers(), body: JSON.stringify({ notification: n.id, kind: n.kind, state: n.notice.state }) }));
  }
  async resolve(n, state) {
    const key = state.key ?? (await this.find(n.caseId)).key;
    if (!key) return { outcome: 'failed', error: `no ticket for ${n.caseId}` };
    return resultOf(await call(`${this.baseUrl}/tickets/${key}/transitions`, { method: 'POST', headers: this.headers(), body: JSON.stringify({ notification: n.id, to: 'done' }) }));
  }
}
