import { gzipSync } from 'node:zlib';
import t, { type Test } from 'tap';
import type { Signal } from '../../src/core/signal.js';
import { WORLD } from '../sim/world.js';
import { authErrorsSetup, BINANCE_ID, BINANCE_NS, BYBIT_ID, type AuthErrorsSetup } from '../helpers/auth-errors.js';

const LEAKED = 'Xq7bLmN2pR4sT6vW8yZ0aB';
const POD = `${WORLD.deployment}-7d9f8c6b5d-x2x4q`;

/** The bot's lines: 25 auth errors (one echoing a secret LeakGuard holds) among ordinary lines. */
function botLines(): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 25; i++) {
    lines.push(`2026-01-01T00:00:${String(i).padStart(2, '0')}Z INFO order placed orderLinkId=ltb-${i} price=60000.5`);
    lines.push(`2026-01-01T00:00:${String(i).padStart(2, '0')}Z ERROR bybit auth error HTTP 401 retCode=10003 retMsg="API key is invalid." key=${i === 24 ? LEAKED : 'none'}`);
  }
  return lines;
}

/** Fluent Bit's kubernetes filter: the line in `log`, the pod in `kubernetes`. */
const fluentRecord = (line: string) => ({ date: 1767225600.5, log: line, stream: 'stderr', kubernetes: { namespace_name: WORLD.namespace, pod_name: POD, labels: { app: 'live-trading-bot', 'pod-template-hash': '7d9f8c6b5d' }, container_name: 'bot' } });
/** Vector's kubernetes_logs source: the line in `message`. */
const vectorRecord = (line: string) => ({ message: line, timestamp: '2026-01-01T00:00:00Z', kubernetes: { pod_namespace: BINANCE_NS, pod_name: POD, pod_labels: { app: 'live-trading-bot' } } });

async function post(s: AuthErrorsSetup, headers: Record<string, string>, body: string | Buffer) {
  const res = await s.lg.app.inject({ method: 'POST', url: '/ingest/logs', headers, payload: body });
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function spikeThrough(t: Test, headers: (s: AuthErrorsSetup) => Record<string, string>, body: Buffer | string): Promise<{ s: AuthErrorsSetup; signal: Signal }> {
  const s = await authErrorsSetup(t);
  s.ts.scrubber.register(LEAKED);
  const res = await post(s, headers(s), body);
  t.equal(res.status, 200, JSON.stringify(res.body));
  t.equal(res.body.signals, 1, 'the answer comes once the spike is stored');
  const stored = await s.ts.store.listSignals({});
  t.equal(stored.length, 1);
  return { s, signal: stored[0]! };
}

t.test('the same lines as NDJSON (Fluent Bit json_lines), gzip NDJSON and plain gzip lines give the same spike signal, scrubbed', async (t) => {
  const ndjson = botLines().map((l) => JSON.stringify(fluentRecord(l))).join('\n');
  const results = [
    await spikeThrough(t, (s) => ({ ...bearer(s.tokens.fields), 'content-type': 'application/x-ndjson' }), ndjson),
    await spikeThrough(t, (s) => ({ ...bearer(s.tokens.fields), 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }), gzipSync(ndjson)),
    await spikeThrough(t, (s) => ({ ...bearer(s.tokens.bybit), 'content-type': 'text/plain; charset=utf-8', 'content-encoding': 'gzip' }), gzipSync(botLines().join('\n'))),
  ];
  for (const { signal } of results) {
    t.equal(signal.kind, 'auth_errors.spike');
    t.equal(signal.source, 'auth-errors');
    t.equal(signal.credentialId, BYBIT_ID);
    t.equal(signal.confidence, 'suspected');
    t.match(signal.evidence, { count: 20, threshold: 20, windowSeconds: 60, codes: { 'code 10003': 20 }, sources: ['ingest'], leakguardResponse: null });
    t.equal((signal.evidence.samples as string[]).length, 5);
    t.notOk(JSON.stringify(signal).includes(LEAKED), 'no secret in the signal');
  }
  // The 20th error line reached the floor: its sample is the last one, and the echoed secret (line 25) came after.
  t.same(results.map((r) => r.signal.evidence), Array(3).fill(results[0]!.signal.evidence), 'every format gives the same evidence');
});

t.test('a JSON array (the default of Fluent Bit and Vector) is mapped by Vector\'s fields to the Binance credential, read with Binance codes', async (t) => {
  const s = await authErrorsSetup(t);
  const lines = Array.from({ length: 22 }, (_, i) => `{"level":"error","msg":"GET /api/v3/openOrders","code":-2015,"n":${i}}`);
  const res = await post(s, { ...bearer(s.tokens.fields), 'content-type': 'application/json' }, JSON.stringify([...lines.map(vectorRecord), { message: 'retCode=10003', kubernetes: { pod_namespace: 'elsewhere', pod_name: 'x' } }, { no: 'message' }]));
  t.same(res.body, { records: 24, unmapped: 1, ignored: 1, signals: 1 });
  const [signal] = await s.ts.store.listSignals({});
  t.equal(signal!.credentialId, BINANCE_ID);
  t.match(signal!.evidence, { codes: { 'code -2015': 20 } });
});

t.test('a Bybit HTTP 403 ban gives the ban signal, never an auth-error spike', async (t) => {
  const s = await authErrorsSetup(t);
  const lines = Array.from({ length: 30 }, (_, i) => `ERROR GET /v5/order/realtime HTTP 403 Forbidden n=${i}`);
  const res = await post(s, { ...bearer(s.tokens.bybit), 'content-type': 'text/plain' }, lines.join('\n'));
  t.equal(res.body.signals, 1);
  const stored = await s.ts.store.listSignals({});
  t.same(stored.map((x) => x.kind), ['auth_errors.ip_ban']);
  t.match(stored[0]!.evidence, { count: 3, threshold: 3, codes: { 'HTTP 403': 3 } });
});

t.test('a spike while LeakGuard revokes the key says so', async (t) => {
  const s = await authErrorsSetup(t);
  const { store } = s.ts;
  const { incident } = await store.openIncident({ id: 'inc-1', credentialId: BYBIT_ID, dryRun: false, reason: 'test', target: null, plan: { playbook: 'break-glass' }, at: s.clock.now() });
  const lease = await store.acquireLease(`incident:${incident.id}`, 'test', 60_000, s.clock.now());
  await store.startStep({ incidentId: incident.id, step: 'revoke', attempt: 1, at: s.clock.now() }, { lease: `incident:${incident.id}`, holder: 'test', token: lease!.fence });
  await post(s, { ...bearer(s.tokens.bybit), 'content-type': 'text/plain' }, botLines().join('\n'));
  const [signal] = await store.listSignals({});
  t.same(signal!.evidence.leakguardResponse, { incidentId: 'inc-1', stepsRunning: ['revoke'], rotatingOrRevoking: true });
});

t.test('refused batches get a problem and store nothing', async (t) => {
  const s = await authErrorsSetup(t);
  const lines = botLines().join('\n');
  const plain = { 'content-type': 'text/plain' };
  const cases: [string, Record<string, string>, string | Buffer, number][] = [
    ['no token', plain, lines, 401],
    ['a wrong token', { ...plain, ...bearer('lg_not-a-token') }, lines, 401],
    ['basic auth', { ...plain, authorization: 'Basic Zm9vOmJhcg==' }, lines, 401],
    ['malformed NDJSON', { ...bearer(s.tokens.fields), 'content-type': 'application/x-ndjson' }, '{"log":"a"}\n{"log":', 400],
    ['malformed JSON', { ...bearer(s.tokens.fields), 'content-type': 'application/json' }, '[{"log":"a"}', 400],
    ['plain lines with a token bound to no credential', { ...plain, ...bearer(s.tokens.fields) }, lines, 400],
    ['a body that is not gzip', { ...plain, ...bearer(s.tokens.bybit), 'content-encoding': 'gzip' }, lines, 400],
    ['a gzip bomb', { ...plain, ...bearer(s.tokens.bybit), 'content-encoding': 'gzip' }, gzipSync(Buffer.alloc(1024 * 1024, 'a')), 413],
    ['a body over maxBytes', { ...plain, ...bearer(s.tokens.bybit) }, 'x'.repeat(70 * 1024), 413],
    ['an encoding other than gzip', { ...plain, ...bearer(s.tokens.bybit), 'content-encoding': 'br' }, lines, 415],
    ['form-encoded', { ...bearer(s.tokens.bybit), 'content-type': 'application/x-www-form-urlencoded' }, 'a=b', 415],
  ];
  for (const [what, headers, body, status] of cases) {
    const res = await post(s, headers, body);
    t.equal(res.status, status, what);
    t.match(res.body, { status, title: String, detail: String }, `${what}: a problem saying what to do`);
  }
  t.same(await s.ts.store.listSignals({}), [], 'nothing stored');
});
