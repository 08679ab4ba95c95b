import t from 'tap';
import { testApp } from '../helpers/app.js';

t.test('health, readiness, metrics, request ids', async (t) => {
  const { app, done } = await testApp();
  t.teardown(done);
  const health = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(health.statusCode, 200);
  t.same(health.json(), { status: 'ok' });
  t.match(health.headers['x-request-id'], /^[0-9a-f-]{36}$/);
  const given = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'req-abc' } });
  t.equal(given.headers['x-request-id'], 'req-abc');
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ready', startupCheck: { state: 'pending', failing: [] }, detectors: [] }, 'not started: the startup check has not run; no detector is enabled');
  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(metrics.statusCode, 200);
  t.match(metrics.headers['content-type'], 'text/plain');
  t.match(metrics.body, /leakguard_http_requests_total\{method="GET",route="\/healthz",status="200"\} 2/);
  t.match(metrics.body, 'leakguard_process_cpu_seconds_total');
});

t.test('every request is logged once, answered, with its id, status and caller', async (t) => {
  const { app, log, done } = await testApp();
  t.teardown(done);
  await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'req-one' } });
  await app.inject({ method: 'GET', url: '/nowhere', headers: { 'x-request-id': 'req-two' } });
  const lines = log.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => typeof l.reqId === 'string');
  t.same(lines.map((l) => [l.reqId, l.msg]), [['req-one', 'request answered'], ['req-two', 'request answered']], 'one line each, none before the answer');
  t.match(lines[0], { method: 'GET', url: '/healthz', status: 200, from: '127.0.0.1', ms: Number });
  t.match(lines[1], { url: '/nowhere', status: 404 });
});

t.test('readyz answers 503 problem when the store is gone', async (t) => {
  const { app, store, done } = await testApp();
  t.teardown(done);
  await store.close();
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(res.statusCode, 503);
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.match(res.json(), { status: 503, title: 'Service Unavailable', detail: /store does not answer/ });
});

t.test('errors are RFC 9457 problems without stack traces', async (t) => {
  const { app, done } = await testApp({ server: { bodyLimit: 2048 } });
  t.teardown(done);
  app.post('/echo', { schema: { body: { type: 'object', required: ['a'], properties: { a: { type: 'integer' } } } } }, async (req) => req.body);
  app.get('/boom', async () => {
    throw new Error('database exploded at /srv/app.js:12');
  });
  await app.ready();

  const missing = await app.inject({ method: 'GET', url: '/nope' });
  t.equal(missing.statusCode, 404);
  t.match(missing.json(), { type: 'about:blank', title: 'Not Found', status: 404, instance: '/nope', requestId: String });

  const invalid = await app.inject({ method: 'POST', url: '/echo', payload: { a: 'x' } });
  t.equal(invalid.statusCode, 400);
  t.match(invalid.json(), { status: 400, errors: ['/a must be integer'] });

  const malformed = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
  t.equal(malformed.statusCode, 400);
  t.equal(malformed.headers['content-type'], 'application/problem+json; charset=utf-8');

  const huge = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ a: 1, pad: 'x'.repeat(4096) }) });
  t.equal(huge.statusCode, 413);
  t.match(huge.json(), { status: 413, title: 'Content Too Large' });

  const boom = await app.inject({ method: 'GET', url: '/boom' });
  t.equal(boom.statusCode, 500);
  const body = boom.json();
  t.match(body.detail, /find request id .+ in its log/);
  t.notMatch(boom.body, 'exploded');
  t.notMatch(boom.body, '/srv/app.js');
});
