/**
 * Removes every registered secret value from text. Field-name redaction alone is not
 * enough: exchanges echo keys inside error messages, so anything leaving the process
 * (logs, errors, store rows, alerts, API answers) goes through here.
 */
export const REDACTED = '[REDACTED]';

/** Values shorter than this are not registered: they would mangle ordinary text. */
const MIN_SECRET_LENGTH = 6;

export class Scrubber {
  #values = new Set<string>();
  #pattern: RegExp | null = null;

  register(value: string | undefined | null): void {
    if (!value || value.length < MIN_SECRET_LENGTH || this.#values.has(value)) return;
    this.#values.add(value);
    // Variants the value may take inside other text: URL-encoded and JSON-escaped.
    for (const v of [encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]) this.#values.add(v);
    this.#pattern = null;
  }

  get size(): number {
    return this.#values.size;
  }

  scrub(text: string): string {
    if (this.#values.size === 0 || !text) return text;
    if (!this.#pattern) {
      // Longest first, so a value that contains another is removed whole.
      const alternatives = [...this.#values].sort((a, b) => b.length - a.length).map(escapeRegExp);
      this.#pattern = new RegExp(alternatives.join('|'), 'g');
    }
    return text.replace(this.#pattern, REDACTED);
  }

  /** Scrubs every string inside a JSON-like value, returning a copy. */
  scrubDeep<T>(value: T): T {
    if (this.#values.size === 0) return value;
    return JSON.parse(this.scrub(JSON.stringify(value ?? null))) as T;
  }

  /** An Error whose message and stack no longer hold a registered value. */
  scrubError(err: unknown): Error {
    if (err instanceof Error) {
      err.message = this.scrub(err.message);
      if (err.stack) err.stack = this.scrub(err.stack);
      return err;
    }
    return new Error(this.scrub(String(err)));
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
