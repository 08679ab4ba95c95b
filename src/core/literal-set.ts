/**
 * Many literals found in a text in one pass, at a cost that grows with the text and hardly with
 * the number of literals (a RegExp alternation tries every literal at every position: 1,600 of
 * them made a 465-character log line cost ~160 µs). Wu-Manber: every literal is at least `width`
 * characters long, so the window text[i, i + width) is judged by its last two characters: where
 * no literal's start holds that pair at that place, the window jumps ahead; only a window whose
 * start hashes like a literal's start (a bit set, then a map) is compared with those literals.
 */
export class LiteralSet {
  readonly #width: number;
  /** By the pair of characters ending a window: how far the window may jump (0: a literal may start here). */
  readonly #shift: Uint8Array;
  readonly #starts = new Uint32Array(START_BITS / 32);
  /** Literals by the hash of their first `width` characters, longest first. */
  readonly #byStart = new Map<number, string[]>();
  #size = 0;

  /** `width`: 2 to 255, the length of the shortest literal. */
  constructor(width: number) {
    this.#width = width;
    this.#shift = new Uint8Array(PAIRS).fill(width - 1);
  }

  get size(): number {
    return this.#size;
  }

  /** Adds a literal; one shorter than `width` is ignored. */
  add(literal: string): void {
    const w = this.#width;
    if (literal.length < w) return;
    const h = hash(literal, 0, w);
    const same = this.#byStart.get(h) ?? [];
    if (same.includes(literal)) return;
    same.push(literal);
    // Longest first, so that a literal that contains another is replaced whole.
    same.sort((a, b) => b.length - a.length);
    this.#byStart.set(h, same);
    const bit = slot(h);
    this.#starts[bit >>> 5]! |= 1 << (bit & 31);
    for (let q = 1; q < w; q++) {
      const p = pair(literal, q);
      this.#shift[p] = Math.min(this.#shift[p]!, w - 1 - q);
    }
    this.#size++;
  }

  /** The text with every occurrence of a literal (leftmost first, then the longest) replaced by `by`. */
  replaceAll(text: string, by: string): string {
    const w = this.#width;
    if (this.#size === 0 || text.length < w) return text;
    const shift = this.#shift;
    const starts = this.#starts;
    const end = text.length - w;
    let out = '';
    let last = 0;
    let i = 0;
    while (i <= end) {
      const jump = shift[pair(text, i + w - 1)]!;
      if (jump > 0) {
        i += jump;
        continue;
      }
      const h = hash(text, i, w);
      const bit = slot(h);
      const found = starts[bit >>> 5]! & (1 << (bit & 31)) ? this.#at(text, i, h) : undefined;
      if (found) {
        out += text.slice(last, i) + by;
        i += found.length;
        last = i;
      } else i++;
    }
    return last === 0 ? text : out + text.slice(last);
  }

  /** The longest literal at text[i], whose first `width` characters hash to h. */
  #at(text: string, i: number, h: number): string | undefined {
    for (const literal of this.#byStart.get(h) ?? []) if (text.startsWith(literal, i)) return literal;
    return undefined;
  }
}

const PAIRS = 1 << 16;
const START_BITS = 1 << 16;

/** The characters at j-1 and j as a table index; pairs that collide share the smaller jump, which is safe. */
function pair(s: string, j: number): number {
  return ((s.charCodeAt(j - 1) << 8) ^ s.charCodeAt(j)) & (PAIRS - 1);
}

function hash(s: string, from: number, width: number): number {
  let h = 0;
  for (let k = from; k < from + width; k++) h = (Math.imul(h, 0x01000193) + s.charCodeAt(k)) | 0;
  return h;
}

/** The hash's bit in the set of literal starts: its bits mixed, so that similar starts spread out. */
function slot(h: number): number {
  return Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 16;
}
