import t from 'tap';
import { REDACTED, Scrubber } from '../../src/core/scrubber.js';
import { fingerprint, keyHint } from '../../src/core/fingerprint.js';

t.test('scrub removes every registered value, whole and in its encoded forms', async (t) => {
  const s = new Scrubber();
  const secret = 'Xy9+/secret"value=';
  s.register(secret);
  s.register('short'); // too short to register safely
  t.equal(s.scrub(`a ${secret} b`), `a ${REDACTED} b`);
  t.equal(s.scrub(`q=${encodeURIComponent(secret)}`), `q=${REDACTED}`);
  t.equal(s.scrub(JSON.stringify({ m: `x${secret}y` })), JSON.stringify({ m: `x${REDACTED}y` }));
  t.equal(s.scrub('a short word'), 'a short word');
});

t.test('a value containing another is removed whole', async (t) => {
  const s = new Scrubber();
  s.register('abcdef');
  s.register('abcdefghij');
  t.equal(s.scrub('xx abcdefghij yy abcdef'), `xx ${REDACTED} yy ${REDACTED}`);
});

t.test('scrubDeep and scrubError', async (t) => {
  const s = new Scrubber();
  s.register('PLANTED-123456');
  t.same(s.scrubDeep({ a: ['PLANTED-123456', 1], b: { c: 'x PLANTED-123456' } }), { a: [REDACTED, 1], b: { c: `x ${REDACTED}` } });
  const err = s.scrubError(new Error('bad key PLANTED-123456'));
  t.equal(err.message, `bad key ${REDACTED}`);
  t.notMatch(err.stack ?? '', 'PLANTED-123456');
  t.equal(s.scrubError('PLANTED-123456 thrown as text').message, `${REDACTED} thrown as text`);
});

t.test('fingerprint is SHA-256 hex and keyHint shows 4 characters at most', async (t) => {
  t.equal(fingerprint('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  t.equal(keyHint('XXXXYYYYZZZZ'), 'XXXX…');
  t.equal(keyHint('ab'), 'ab…');
});
