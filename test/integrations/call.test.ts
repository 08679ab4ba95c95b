import t from 'tap';
import { systemClock } from '../../src/core/clock.js';
import { call, type CallPolicy } from '../../src/integrations/call.js';
import { IntegrationError } from '../../src/integrations/errors.js';

const policy: CallPolicy = { timeoutMs: 200, retries: 2, baseDelayMs: 1, maxDelayMs: 5 };
const classify = (err: unknown, operation: string) =>
  new IntegrationError({ system: 'sim', operation, kind: (err as Error).message === 'wrong' ? 'invalid_request' : 'unavailable', retryable: (err as Error).message !== 'wrong', detail: (err as Error).message, action: 'do the thing' });
const opts = { system: 'sim', operation: 'Op', clock: systemClock, policy, classify };

t.test('retryable failures are retried, then success', async (t) => {
  let n = 0;
  const v = await call(opts, async () => {
    if (++n < 3) throw new Error('503');
    return 'ok';
  });
  t.equal(v, 'ok');
  t.equal(n, 3);
});

t.test('a failure that means "wrong" is never retried', async (t) => {
  let n = 0;
  const err = await call(opts, async () => {
    n++;
    throw new Error('wrong');
  }).catch((e: unknown) => e);
  t.equal(n, 1);
  t.type(err, IntegrationError);
  t.match((err as Error).message, 'sim Op failed (invalid_request): wrong. Next: do the thing');
});

t.test('past the retry budget the error says how often it tried', async (t) => {
  let n = 0;
  const err = (await call(opts, async () => {
    n++;
    throw new Error('503');
  }).catch((e: unknown) => e)) as IntegrationError;
  t.equal(n, 3);
  t.equal(err.retryable, false);
  t.match(err.message, 'still failing after 3 attempts');
});

t.test('the timeout holds even when the call ignores its signal', async (t) => {
  let n = 0;
  const err = (await call({ ...opts, policy: { ...policy, timeoutMs: 30, retries: 1 } }, () => {
    n++;
    return new Promise(() => {});
  }).catch((e: unknown) => e)) as IntegrationError;
  t.equal(n, 2);
  t.equal(err.kind, 'timeout');
  t.match(err.message, 'no answer within 30 ms');
});

t.test("the caller's budget stops retries at once", async (t) => {
  const ac = new AbortController();
  let n = 0;
  const p = call({ ...opts, signal: ac.signal, policy: { ...policy, retries: 100, baseDelayMs: 50, maxDelayMs: 50 } }, async () => {
    n++;
    throw new Error('503');
  });
  setTimeout(() => ac.abort(new Error('step budget over')), 20);
  await t.rejects(p, { message: 'step budget over' });
  t.ok(n < 100);
});

t.test('Retry-After is honoured', async (t) => {
  const waits: number[] = [];
  const clock = { now: () => 0, sleep: async (ms: number) => void waits.push(ms) };
  let n = 0;
  await call({ ...opts, clock }, async () => {
    if (++n < 2) throw new IntegrationError({ system: 'sim', operation: 'Op', kind: 'throttled', retryable: true, detail: '429', action: 'wait', retryAfterMs: 1234 });
    return 1;
  });
  t.same(waits, [1234]);
});

t.test('a wait already past (a reset time behind us) means retry now, and a non-number is ignored', async (t) => {
  const at = (ms: number) => new IntegrationError({ system: 'sim', operation: 'Op', kind: 'throttled', retryable: true, detail: '429', action: 'wait', retryAfterMs: ms });
  t.equal(at(-50).retryAfterMs, 0);
  t.equal(at(Number.NaN).retryAfterMs, undefined);
});
