/** mulberry32: a small seeded PRNG, so a failing fuzz run can be repeated with its seed. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  /** Text of any characters, as the bytes of its UTF-8 read as latin1 (what node:http puts on the wire for a header). */
  const unicode = (n: number) => Buffer.from(Array.from({ length: n }, () => String.fromCodePoint(pick([0x41 + int(26), 0xe9, 0x4e2d, 0x1f511, 0x202e, 0xfeff, 0x80 + int(0x780)]))).join(''), 'utf8').toString('latin1');
  return { next, int, pick, bytes, unicode };
}

/** A random JSON value, nested up to `depth`, its objects keyed by `keys` (what the route reads), prototype names and noise. */
export function randomJson(r: ReturnType<typeof prng>, depth: number, keys: readonly string[]): unknown {
  const leaf = () => r.pick([null, true, false, r.int(1e9) - 5e8, r.next(), '', r.unicode(r.int(20)), -0, 1e308]);
  if (depth <= 0 || r.next() < 0.3) return leaf();
  if (r.next() < 0.5) return Array.from({ length: r.int(5) }, () => randomJson(r, depth - 1, keys));
  const all = [...keys, '__proto__', 'constructor', r.unicode(5)];
  return Object.fromEntries(Array.from({ length: r.int(6) }, () => [r.pick(all), randomJson(r, depth - 1, keys)]));
}
