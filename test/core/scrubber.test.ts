import t from 'tap';
import { REDACTED, Scrubber } from '../../src/core/scrubber.js';
import { fingerprint, keyHint } from '../../src/core/fingerprint.js';
import { LiteralSet } from '../../src/core/literal-set.js';

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

t.test('scrub removes the value in upper and lower case, hex, base64 and base64url, also inside a longer encoded text', async (t) => {
  const s = new Scrubber();
  // Bytes that base64 writes with + and /, and base64url with - and _.
  const secret = 'Kq9>~?zS3cr3t-v4lue~>?';
  s.register(secret);
  const b64 = (text: string, encoding: 'base64' | 'base64url') => Buffer.from(text).toString(encoding);
  t.not(b64(secret, 'base64'), b64(secret, 'base64url'), 'the two alphabets differ for this value');
  for (const form of [secret.toUpperCase(), secret.toLowerCase(), Buffer.from(secret).toString('hex'), Buffer.from(secret).toString('hex').toUpperCase(), b64(secret, 'base64'), b64(secret, 'base64url')]) {
    t.equal(s.scrub(`x ${form} y`), `x ${REDACTED} y`, form);
  }
  // The secret JSON, encoded whole (a Kubernetes Secret's data, a basic-auth header): the value sits at any of three byte offsets.
  for (const before of ['{"k":"', '{"ke":"', '{"key":"']) {
    for (const encoding of ['base64', 'base64url'] as const) {
      const doc = b64(`${before}${secret}","note":"rotated"}`, encoding);
      const scrubbed = s.scrub(doc);
      t.match(scrubbed, REDACTED, `${encoding}, ${before.length} bytes before`);
      t.notOk(Buffer.from(scrubbed.replace(REDACTED, ''), encoding).toString('latin1').includes(secret.slice(0, 6)), 'nothing of it can be decoded from what is left');
    }
  }
  t.equal(s.scrub(b64('an ordinary sentence, nothing secret', 'base64')), b64('an ordinary sentence, nothing secret', 'base64'));
});

t.test('excerpt scrubs first, then cuts: a secret across the cut goes whole', async (t) => {
  const s = new Scrubber();
  const secret = 'PLANTED-0123456789abcdef';
  s.register(secret);
  const text = `${'x'.repeat(190)}${secret} tail`;
  const cut = s.excerpt(text);
  t.equal(cut, `${'x'.repeat(190)}${REDACTED}…`);
  t.equal(s.excerpt('short text'), 'short text', 'a short text is left whole');
  t.equal(s.excerpt('abcdefghij', 4), 'abcd…');
});

t.test('LiteralSet finds what a plain search finds: leftmost, then longest, for any literals and text', async (t) => {
  // A plain search: at each position, the longest literal that starts there.
  const plain = (text: string, literals: string[]) => {
    const longestFirst = [...literals].sort((a, b) => b.length - a.length);
    let out = '';
    for (let i = 0; i < text.length; ) {
      const hit = longestFirst.find((l) => text.startsWith(l, i));
      out += hit ? '#' : text[i];
      i += hit ? hit.length : 1;
    }
    return out;
  };
  // A fixed-seed generator over a small alphabet, so that literals overlap, nest and repeat.
  let seed = 7;
  const next = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) % n);
  const word = (n: number) => Array.from({ length: n }, () => 'abcAB'[next(5)]).join('');
  let differing = 0;
  for (let trial = 0; trial < 3000; trial++) {
    const width = 2 + next(5);
    const literals = Array.from({ length: 1 + next(6) }, () => word(width + next(5)));
    const set = new LiteralSet(width);
    for (const l of literals) set.add(l);
    const text = word(next(80));
    if (set.replaceAll(text, '#') !== plain(text, literals)) differing++;
  }
  t.equal(differing, 0);
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
