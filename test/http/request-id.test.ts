import t from 'tap';
import { testApp } from '../helpers/app.js';

t.test("a caller's x-request-id is kept only when short, safe and free of secrets; else a new one is made", async (t) => {
  const { app, scrubber, log, done } = await testApp();
  t.teardown(done);
  const secret = 'PLANTED0123456789abcdef';
  scrubber.register(secret);
  const idOf = async (id: string) => (await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': id } })).headers['x-request-id'];

  t.equal(await idOf('req-abc_1.2:3'), 'req-abc_1.2:3', 'a plain id is kept');
  t.equal(await idOf('a'.repeat(128)), 'a'.repeat(128), '128 characters are fine');
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  for (const [why, id] of [
    ['too long (never cut: a cut could keep part of a secret)', 'a'.repeat(129)],
    ['a secret', secret],
    ['a secret inside', `req-${secret}`],
    ['a secret in another encoding', Buffer.from(secret).toString('hex')],
    ['unsafe characters', 'req"}\u0007<script>'],
  ]) {
    const given = await idOf(id!);
    t.match(given, uuid, `${why}: replaced by a new id`);
  }
  const problem = await app.inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': `req-${secret}` } });
  t.match(problem.json(), { status: 404, requestId: uuid }, 'the problem names the new id');
  t.notMatch(log.text(), secret.slice(0, 8), 'the log holds no part of it');
});
