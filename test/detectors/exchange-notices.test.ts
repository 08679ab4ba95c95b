import t, { type Test } from 'tap';
import { signNotice } from '../../detectors/exchange/notice.js';
import { exchangeSetup, type ExchangeSetup } from '../helpers/exchange.js';

interface Answer {
  status: number;
  type: string;
  body: Record<string, any>;
}

async function post(s: ExchangeSetup, body: string, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Record<string, any> };
}

/** A notice signed as a mail rule would sign it, at `at` (LeakGuard's clock by default). */
function signed(s: ExchangeSetup, notice: Record<string, unknown>, opts: { at?: number; secret?: string } = {}) {
  const body = JSON.stringify(notice);
  const ts = String(Math.floor((opts.at ?? s.clock.now()) / 1000));
  return { body, headers: { 'x-leakguard-timestamp': ts, 'x-leakguard-signature': signNotice(opts.secret ?? s.noticeSecret, ts, body) } };
}

const send = (s: ExchangeSetup, r: { body: string; headers: Record<string, string> }) => post(s, r.body, r.headers);

function refused(t: Test, a: Answer, status: number, detail: RegExp, what: string) {
  t.equal(a.status, status, `${what}: ${status}`);
  t.match(a.type, /^application\/problem\+json/, `${what}: a problem`);
  t.match(a.body, { status, detail }, `${what}: says what to do`);
}

const notice = (s: ExchangeSetup, over: Record<string, unknown> = {}) => ({
  id: '<20261203.1@notice.bybit.com>',
  exchange: 'bybit',
  uid: String(s.e2e.world.accounts.subUid),
  subject: 'Security alert: API key settings changed',
  text: 'The IP restrictions of one of your API keys were changed. If this was not you, contact support.',
  ...over,
});

t.test('a signed notice naming the UID gives one suspected exchange.notice for that credential; a replay is refused and stores nothing', async (t) => {
  const s = await exchangeSetup(t);
  const first = signed(s, notice(s));
  const ok = await send(s, first);
  t.equal(ok.status, 202);
  t.same(ok.body.matched, ['bybit-prod-trading']);
  const sig = await s.w.signal((x) => x.kind === 'exchange.notice');
  t.match(sig, { credentialId: 'bybit-prod-trading', confidence: 'suspected', source: 'exchange', match: { field: 'uid' } });
  t.match(sig.evidence, { noticeId: '<20261203.1@notice.bybit.com>', subject: /API key settings changed/, matchedBy: 'uid' });
  const before = await s.ts.store.listSignals({});
  refused(t, await send(s, first), 400, /received before: a replay/, 'the same request again');
  // The same id re-signed a minute later is still the same notice.
  await s.clock.advance(60_000);
  refused(t, await send(s, signed(s, notice(s, { text: 'other text' }))), 400, /received before/, 'the same id, re-signed');
  t.same(await s.ts.store.listSignals({}), before, 'nothing stored by the replays');
});

t.test('bad, missing or foreign signatures, stale or future timestamps, malformed bodies: refused, nothing stored', async (t) => {
  const s = await exchangeSetup(t);
  const good = signed(s, notice(s));
  refused(t, await post(s, good.body, { 'x-leakguard-timestamp': good.headers['x-leakguard-timestamp'] }), 401, /signature is missing/, 'no signature');
  refused(t, await send(s, signed(s, notice(s), { secret: 'not-the-secret' })), 401, /does not match/, 'another key');
  refused(t, await post(s, good.body.replace('bybit', 'binance'), good.headers), 401, /does not match/, 'a body changed after signing');
  refused(t, await post(s, good.body, { ...good.headers, 'x-leakguard-timestamp': String(Number(good.headers['x-leakguard-timestamp']) + 1) }), 401, /does not match/, 'a timestamp changed after signing');
  refused(t, await post(s, good.body, { 'x-leakguard-signature': good.headers['x-leakguard-signature'] }), 400, /timestamp is missing/, 'no timestamp');
  refused(t, await send(s, signed(s, notice(s), { at: s.clock.now() - 5 * 60_000 - 2_000 })), 400, /away from LeakGuard's clock/, 'signed more than 5 min ago');
  refused(t, await send(s, signed(s, notice(s), { at: s.clock.now() + 6 * 60_000 })), 400, /away from LeakGuard's clock/, 'signed in the future');
  const ts = String(Math.floor(s.clock.now() / 1000));
  refused(t, await post(s, '{"id":', { 'x-leakguard-timestamp': ts, 'x-leakguard-signature': signNotice(s.noticeSecret, ts, '{"id":') }), 400, /not valid JSON/, 'malformed JSON');
  const noText = signed(s, { id: 'x', exchange: 'bybit' });
  const a = await send(s, noText);
  refused(t, a, 400, /lacks what LeakGuard reads/, 'no text');
  t.match(a.body.errors, [/\/text/]);
  const form = await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...good.headers }, body: 'a=b' });
  t.equal(form.status, 415, 'form-encoded');
  t.same(await s.ts.store.listSignals({}), [], 'nothing stored');
  t.same(await s.ts.store.listWork({ limit: 1000 }), [], 'nothing queued');
  // Five minutes exactly is still in time.
  t.equal((await send(s, signed(s, notice(s), { at: s.clock.now() - 5 * 60_000 + 1_000 }))).status, 202, 'within 5 min');
});

t.test('a key hint maps the notice to the credential whose key begins so; a notice naming nothing of ours is stored unmatched, for the audit only', async (t) => {
  const s = await exchangeSetup(t);
  const { botKey } = s.e2e.world.accounts;
  const hinted = await send(s, signed(s, notice(s, { id: 'n-2', uid: undefined, keyHint: botKey.apiKey.slice(0, 6) })));
  t.equal(hinted.status, 202);
  const sig = await s.w.signal((x) => x.kind === 'exchange.notice' && x.evidence.noticeId === 'n-2');
  t.equal(sig.credentialId, 'bybit-prod-trading');
  t.match(sig.evidence, { matchedBy: 'key hint', keyHint: `${botKey.apiKey.slice(0, 4)}…` });
  t.notMatch(JSON.stringify(sig), botKey.apiKey.slice(0, 6), 'no more than 4 characters of the key are kept');
  const other = await send(s, signed(s, notice(s, { id: 'n-3', uid: '999', keyHint: 'ZZZZZZ' })));
  t.equal(other.status, 202);
  const unmatched = await s.w.signal((x) => x.kind === 'exchange.notice.unmatched');
  t.equal(unmatched.credentialId, null);
  t.same((await s.ts.store.listWork({ limit: 1000 })).filter((w) => JSON.stringify(w.payload).includes(unmatched.id)), [], 'not queued for the engine');
});
