import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { bybitErrors } from '../../src/integrations/exchanges/bybit/errors.js';
import { binanceErrors } from '../../src/integrations/exchanges/binance/errors.js';
import { AuthErrorCore, type Spike } from '../../detectors/auth-errors/core.js';
import { Recognizer } from '../../detectors/auth-errors/recognise.js';
import type { Baseline } from '../../detectors/auth-errors/window.js';

const bybit = new Recognizer('bybit', bybitErrors.codes);
const binance = new Recognizer('binance', binanceErrors.codes);

t.test('recognises each exchange by its own codes, in plain text and JSON lines; a 403 is a ban, never an auth failure', async (t) => {
  const auth = (r: Recognizer, line: string) => t.same(r.classify(line)?.cls, 'auth', line);
  const none = (r: Recognizer, line: string) => t.equal(r.classify(line), null, line);
  for (const code of [10003, 10004, 10005, 10007, 10010, 33004]) {
    auth(bybit, `2026-01-01T00:00:00Z ERROR bybit call failed retCode=${code} retMsg="..."`);
    auth(bybit, JSON.stringify({ level: 'error', msg: 'order refused', response: { retCode: code, retMsg: 'API key is invalid.' } }));
  }
  auth(bybit, 'WARN spot call failed {"retCode":-2015,"retMsg":"expired"}');
  for (const code of [-2014, -2015, -1022]) auth(binance, `{"level":"error","msg":"binance refused","code":${code},"detail":"Invalid API-key, IP, or permissions for action."}`);
  auth(binance, 'ERROR GET /api/v3/account -> HTTP 401');
  auth(bybit, 'ERROR POST /v5/order/create: 401 Unauthorized');
  // The same number means nothing on the other exchange, or in the wrong place.
  none(binance, 'ERROR retCode=10003');
  none(bybit, '{"code":-1022}');
  none(bybit, 'INFO order placed orderLinkId=ltb-1000312 qty=0.401');
  none(bybit, '2026-01-01T14:01:40.401Z INFO heartbeat seq=4033');
  none(bybit, 'INFO the year 2015 code review');
  // Bybit's WebSocket order entry answers 10003 for too many sessions, not a bad key.
  none(bybit, 'WARN websocket order entry refused {"op":"order.create","retCode":10003,"retMsg":"too many sessions"}');
  t.same(bybit.classify('ERROR bybit auth error HTTP 403 retMsg="ip rate limit"'), { cls: 'ip_ban', code: 'HTTP 403' });
  t.same(binance.classify('ERROR HTTP 403 Forbidden (WAF)'), { cls: 'waf_block', code: 'HTTP 403' });
  t.same(binance.classify('{"status":418,"msg":"banned until 1700000000000"}'), { cls: 'ip_ban', code: 'HTTP 418' });
  t.same(bybit.classify('ERROR status=403 and then retCode=10003'), { cls: 'auth', code: 'code 10003' }, 'an auth code on the line wins over the status');
});

function core(clock: ManualClock, baseline?: Baseline, spike: Partial<{ floor: number; multiple: number; banFloor: number }> = {}) {
  const learned: Baseline[] = [];
  const c = new AuthErrorCore({ spike: { windowSeconds: 60, floor: 20, multiple: 5, banFloor: 3, ...spike }, now: () => clock.now(), learned: (_id, b) => learned.push(b) });
  c.add('cred', bybit, baseline);
  return { c, learned };
}
const errorLine = (i: number) => `2026-01-01T00:00:00Z ERROR bybit auth error HTTP 401 retCode=10003 retMsg="API key is invalid." n=${i}`;
const noise = (i: number) => `2026-01-01T00:00:00Z INFO order placed orderLinkId=ltb-${i} price=60000.5 qty=0.001`;

t.test('a spike within one window is reported once, with at most five samples; text around it is skipped', async (t) => {
  const clock = new ManualClock();
  const { c } = core(clock);
  const spikes: Spike[] = [];
  for (let i = 0; i < 30; i++) {
    clock.set(clock.now() + 1_000);
    spikes.push(...c.scan('cred', `${noise(i)}\n${errorLine(i)}\n${noise(i + 1)}`, 'pod-logs'));
  }
  t.equal(spikes.length, 1, 'one spike, not one per line above the floor');
  const [s] = spikes;
  t.equal(s!.count, 20, 'reported on the line that reached the floor');
  t.equal(s!.cls, 'auth');
  t.same(s!.codes, { 'code 10003': 20 });
  t.equal(s!.samples.length, 5);
  t.ok(s!.samples.every((l) => l.includes('retCode=10003')), 'samples are the error lines, not the noise');
});

t.test('steady errors below the floor never spike; the window slides, so a burst must fall within one window', async (t) => {
  const clock = new ManualClock();
  const { c } = core(clock);
  const spikes: Spike[] = [];
  // 15 errors a minute, evenly spread, for an hour: always below the floor of 20.
  for (let i = 0; i < 15 * 60; i++) {
    clock.set(clock.now() + 4_000);
    spikes.push(...c.scan('cred', errorLine(i), 'ingest'));
  }
  t.equal(spikes.length, 0);
});

t.test('the learned baseline raises the bar: errors the credential always has are not a spike, five times them is', async (t) => {
  const clock = new ManualClock();
  const { c, learned } = core(clock, undefined, { floor: 10, multiple: 2 });
  const spikes: Spike[] = [];
  // Bursts of 8 a minute (below the floor) teach a baseline of about 8 per window.
  for (let m = 0; m < 120; m++) {
    clock.set(Math.floor(clock.now() / 60_000) * 60_000 + 60_000);
    for (let i = 0; i < 8; i++) spikes.push(...c.scan('cred', errorLine(i), 'ingest'));
  }
  t.equal(spikes.length, 0);
  const baseline = learned.at(-1)!;
  t.ok(baseline.mean > 7 && baseline.mean <= 8, `learned about 8 per window (${baseline.mean})`);
  // 12 in a window: above the floor of 10, but not above 2 × 8.
  clock.set(Math.floor(clock.now() / 60_000) * 60_000 + 60_000);
  for (let i = 0; i < 12; i++) spikes.push(...c.scan('cred', errorLine(i), 'ingest'));
  t.equal(spikes.length, 0, 'above the floor, not above the baseline multiple');
  clock.set(Math.floor(clock.now() / 60_000) * 60_000 + 60_000 * 3);
  for (let i = 0; i < 40; i++) spikes.push(...c.scan('cred', errorLine(i), 'ingest'));
  t.equal(spikes.length, 1);
  t.equal(spikes[0]!.threshold, Math.floor(2 * spikes[0]!.baseline.mean) + 1);

  // A core started with the stored baseline holds the same bar at once.
  const again = core(clock, baseline, { floor: 10, multiple: 2 });
  clock.set(clock.now() + 600_000);
  const fresh: Spike[] = [];
  for (let i = 0; i < 12; i++) fresh.push(...again.c.scan('cred', errorLine(i), 'ingest'));
  t.equal(fresh.length, 0, 'the baseline from the store applies after a restart');
});

t.test('a spike is reported again once its window has fallen below the threshold; bans are their own class', async (t) => {
  const clock = new ManualClock();
  const { c } = core(clock);
  const burst = () => c.scan('cred', Array.from({ length: 25 }, (_, i) => errorLine(i)).join('\n'), 'ingest');
  t.equal(burst().length, 1);
  clock.set(clock.now() + 10_000);
  t.equal(burst().length, 0, 'the same spike goes on');
  clock.set(clock.now() + 120_000);
  t.equal(burst().length, 1, 'a new spike after a quiet window');
  const bans = c.scan('cred', Array.from({ length: 4 }, () => 'ERROR bybit HTTP 403 access denied').join('\n'), 'pod-logs');
  t.same(bans.map((b) => [b.cls, b.count]), [['ip_ban', 3]]);
});
