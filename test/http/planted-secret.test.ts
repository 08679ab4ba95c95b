import t from 'tap';
import { randomUUID } from 'node:crypto';
import { testApp } from '../helpers/app.js';
import { BACKENDS } from '../helpers/stores.js';

/**
 * A registered secret turns up in a thrown error, an Authorization header and a stored
 * text. Nothing that leaves the process (log, rows, HTTP answers) may carry it.
 */
for (const [name, open] of Object.entries(BACKENDS)) {
  t.test(`no trace of a planted secret (${name})`, async (t) => {
    const { app, store, scrubber, log, done } = await testApp({}, open);
    t.teardown(done);
    const secret = `PLANTED${randomUUID().replace(/-/g, '')}`;
    scrubber.register(secret);
    const incidentId = randomUUID();

    app.get('/leaky', async () => {
      // As an exchange does: the key echoed inside an error text.
      throw Object.assign(new Error(`error sign! origin_string[1700000000000${secret}5000]`), { statusCode: 400 });
    });
    app.get('/crash', async () => {
      throw new Error(`upstream said: invalid api key ${secret}`);
    });
    app.post('/store', async (req) => {
      const { text } = req.body as { text: string };
      await store.appendTimeline({ incidentId, at: 1, actor: 'system:test', type: 'note', message: text, data: { text } });
      return { stored: text };
    });
    await app.ready();

    const answers = [
      await app.inject({ method: 'GET', url: '/leaky', headers: { authorization: `Bearer ${secret}` } }),
      await app.inject({ method: 'GET', url: '/crash', headers: { authorization: `Bearer ${secret}` } }),
      await app.inject({ method: 'POST', url: '/store', payload: { text: `the key is ${secret}` } }),
      await app.inject({ method: 'GET', url: `/nope/${secret}` }),
    ];
    t.same(answers.map((a) => a.statusCode), [400, 500, 200, 404]);
    t.match(answers[0]!.json().detail, 'origin_string[1700000000000[REDACTED]5000]', 'the 4xx still says what happened');
    const rows = JSON.stringify(await store.listTimeline(incidentId));
    t.match(rows, 'the key is [REDACTED]');

    const everything = [log.text(), rows, ...answers.map((a) => a.body + JSON.stringify(a.headers))].join('\n');
    t.notMatch(everything, secret);
    t.ok(log.lines.length > 4, 'the requests were logged');
    t.match(log.text(), /upstream said: invalid api key \[REDACTED\]/, 'the 500 was logged, scrubbed');
  });
}
