import { LiteralSet } from './literal-set.js';
import { secretForms } from './secret-forms.js';

/**
 * Removes every registered secret value from text. Field-name redaction alone is not
 * enough: exchanges echo keys inside error messages, so anything leaving the process
 * (logs, errors, store rows, alerts, API answers) goes through here.
 */
export const REDACTED = '[REDACTED]';

/** Values (and forms) shorter than this are not registered: they would mangle ordinary text. */
const MIN_SECRET_LENGTH = 6;

/** Where an error text is cut for a message (`excerpt`). */
export const EXCERPT_LENGTH = 200;

export class Scrubber {
  #registered = new Set<string>();
  /** Every form of every registered value (secret-forms.ts). */
  #forms = new LiteralSet(MIN_SECRET_LENGTH);

  register(value: string | undefined | null): void {
    if (!value || value.length < MIN_SECRET_LENGTH || this.#registered.has(value)) return;
    this.#registered.add(value);
    for (const form of secretForms(value)) this.#forms.add(form);
  }

  get size(): number {
    return this.#forms.size;
  }

  scrub(text: string): string {
    return this.#forms.replaceAll(text, REDACTED);
  }

  /**
   * A text (an error body another system sent) for a message: scrubbed first, then cut to
   * `max` characters. Cutting first could split a secret and leave its first part, which no
   * longer matches.
   */
  excerpt(text: string, max = EXCERPT_LENGTH): string {
    const clean = this.scrub(text);
    return clean.length > max ? `${clean.slice(0, max)}…` : clean;
  }

  /** Scrubs every string inside a JSON-like value, returning a copy. */
  scrubDeep<T>(value: T): T {
    if (this.#forms.size === 0) return value;
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
