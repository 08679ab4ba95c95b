import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { createLeakGuard } from '../../src/leakguard.js';
import { startE2E } from '../helpers/e2e.js';
import { sqliteStore } from '../helpers/stores.js';
import { testApp } from '../helpers/app.js';

/** An app of testApp listening on a free port of 127.0.0.1. */
async function listening(t: Test, config: Record<string, unknown>) {
  const a = await testApp(config);
  t.teardown(a.done);
  await a.app.listen({ host: '127.0.0.1', port: 0 });
  const address = a.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { ...a, port };
}

/** A raw connection: what it received by the time the server closed it. */
function rawConnection(port: number) {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (d) => (received += d.toString('latin1')));
  socket.on('error', () => {});
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
  return { socket, connected, closed };
}

/** Splits a raw HTTP/1.1 answer into its status, headers and problem body. */
function parseRaw(raw: string) {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body || '{}') as Record<string, unknown> };
}

t.test('a body dripped one byte at a time is cut off with a 408 problem, and /healthz answers meanwhile', { timeout: 30_000 }, async (t) => {
  const { app, port } = await listening(t, { server: { requestTimeoutMs: 300 } });
  const drip = rawConnection(port);
  await drip.connected;
  drip.socket.write('POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
  const health = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(health.statusCode, 200, 'the service still answers while a client drips');
  const answer = parseRaw(await drip.closed);
  t.equal(answer.status, 408, 'Request Timeout');
  t.match(answer.headers['content-type'], /^application\/problem\+json/);
  t.match(answer.headers['x-request-id'], /^[0-9a-f-]{36}$/);
  t.match(answer.body, { status: 408, title: 'Request Timeout', detail: /did not arrive in time.*send it again/ });
});

t.test('connections past server.maxConnections are refused at once; the service answers again when one closes', { timeout: 30_000 }, async (t) => {
  const { app, port } = await listening(t, { server: { maxConnections: 2 } });
  const held = [rawConnection(port), rawConnection(port)];
  await Promise.all(held.map((c) => c.connected));
  const dropped = new Promise<void>((resolve) => app.server.once('drop', () => resolve()));
  const third = rawConnection(port);
  await dropped;
  t.equal(await third.closed, '', 'the third connection was closed without an answer');
  held[0]!.socket.destroy();
  await held[0]!.closed;
  const again = rawConnection(port);
  again.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.equal(parseRaw(await again.closed).status, 200, 'a new connection is served once there is room');
  held[1]!.socket.destroy();
});

t.test("Node's own refusals are problems too: malformed HTTP (400) and oversized headers (431)", async (t) => {
  const { port } = await listening(t, {});
  const garbage = rawConnection(port);
  garbage.socket.write('NOT HTTP AT ALL\r\n\r\n');
  const bad = parseRaw(await garbage.closed);
  t.equal(bad.status, 400);
  t.match(bad.headers['content-type'], /^application\/problem\+json/);
  t.match(bad.headers['x-request-id'], /^[0-9a-f-]{36}$/);
  t.match(bad.body, { status: 400, title: 'Bad Request', detail: /not valid HTTP/ });

  const huge = rawConnection(port);
  huge.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`);
  const big = parseRaw(await huge.closed);
  t.equal(big.status, 431);
  t.match(big.body, { status: 431, detail: /headers are larger/ });
});

t.test('a URL that does not decode is a 400 problem with a request id', async (t) => {
  const { app, done } = await testApp();
  t.teardown(done);
  const res = await app.inject({ method: 'GET', url: '/nope/%' });
  t.equal(res.statusCode, 400);
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.match(res.headers['x-request-id'], /^[0-9a-f-]{36}$/);
  t.match(res.json(), { status: 400, title: 'Bad Request', detail: /does not decode/ });
  const missing = await app.inject({ method: 'GET', url: '/nope/x' });
  t.match(missing.json(), { status: 404, title: 'Not Found' }, 'a route that does not exist is a 404 problem, not a page');
});

t.test('every route is rate limited per client, the not-found answer included, with a 429 problem', async (t) => {
  const { app, done } = await testApp({ server: { rateLimit: { max: 3 } } });
  t.teardown(done);
  for (let i = 0; i < 3; i++) t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  const limited = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(limited.statusCode, 429);
  t.equal(limited.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.ok(Number(limited.headers['retry-after']) > 0, 'says when to come back');
  t.match(limited.json(), { status: 429, title: 'Too Many Requests' });
  const other = await app.inject({ method: 'GET', url: '/nope', remoteAddress: '10.0.0.9' });
  t.equal(other.statusCode, 404, 'another client has its own allowance');
  for (let i = 0; i < 2; i++) await app.inject({ method: 'GET', url: '/nope', remoteAddress: '10.0.0.9' });
  t.equal((await app.inject({ method: 'GET', url: '/nope', remoteAddress: '10.0.0.9' })).statusCode, 429, 'unknown routes count too');
});

t.test('/metrics answers from a copy at most cacheMs old, and asks for its token when one is set', async (t) => {
  const token = 'metrics-scraper-token-for-this-test';
  const { app, clock, done } = await testApp({ server: { metrics: { cacheMs: 5_000, tokenSha256: createHash('sha256').update(token).digest('hex') } } });
  t.teardown(done);
  const auth = { authorization: `Bearer ${token}` };
  const healthz = () => app.inject({ method: 'GET', url: '/healthz' });
  const count = (body: string) => /leakguard_http_requests_total\{method="GET",route="\/healthz",status="200"\} (\d+)/.exec(body)?.[1];
  await healthz();
  const first = await app.inject({ method: 'GET', url: '/metrics', headers: auth });
  t.equal(first.statusCode, 200);
  t.equal(count(first.body), '1');
  await healthz();
  t.equal(count((await app.inject({ method: 'GET', url: '/metrics', headers: auth })).body), '1', 'the cached copy');
  clock.advance(5_000);
  t.equal(count((await app.inject({ method: 'GET', url: '/metrics', headers: auth })).body), '2', 'a fresh copy once it is cacheMs old');

  const none = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(none.statusCode, 401);
  t.equal(none.headers['www-authenticate'], 'Bearer');
  t.match(none.json(), { status: 401, detail: /Authorization: Bearer/ });
  t.equal((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
});

t.test('/readyz stays ready when a credential fails its startup check, and it and /metrics name the credential', async (t) => {
  // LeakGuard's egress IP is not on the key: the startup check must report the credential.
  const e = await startE2E({ config: { server: { egressIps: ['203.0.113.77'] } } });
  const ts = await sqliteStore();
  const leakguard = await createLeakGuard(e.config, { scrubber: e.scrubber, logger: e.logger, clients: e.clients, store: ts.store });
  t.teardown(async () => (await leakguard.close(0), await ts.cleanup(), await e.close()));
  const before = (await leakguard.app.inject({ method: 'GET', url: '/readyz' })).json();
  t.match(before, { status: 'ready', startupCheck: { state: 'pending', failing: [] } });
  leakguard.start();
  await leakguard.app.leakguard.startup.settled;
  const ready = await leakguard.app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 200, 'still ready: a leak must still be answered');
  t.match(ready.json(), { status: 'ready', startupCheck: { state: 'done', failing: [{ id: 'bybit-prod-trading', problems: [/203\.0\.113\.77/] }] } });
  const metrics = await leakguard.app.inject({ method: 'GET', url: '/metrics' });
  t.match(metrics.body, /leakguard_credential_check_failing\{credential="bybit-prod-trading"\} [1-9]/);
});
