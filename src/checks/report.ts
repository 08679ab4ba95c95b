import type { CredentialProblem } from './credentials.js';

export interface CredentialReport {
  id: string;
  problems: string[];
}

/**
 * The last startup check, for /readyz and /metrics: which credential LeakGuard could not
 * prove ready to act for, and why. Readiness itself does not depend on it: a leak must
 * still be answered for every other credential, and for this one as far as it can be.
 */
export class StartupReport {
  #state: 'pending' | 'done' | 'failed' = 'pending';
  #credentials: CredentialReport[] = [];
  #error: string | undefined;
  #settle!: () => void;
  /** Resolves once the check has run (or failed to). */
  readonly settled = new Promise<void>((resolve) => (this.#settle = resolve));

  constructor(readonly credentialIds: readonly string[]) {}

  done(problems: CredentialProblem[]): void {
    this.#state = 'done';
    this.#settle();
    this.#credentials = this.credentialIds.map((id) => ({ id, problems: problems.filter((p) => p.credentialId === id).map((p) => p.problem) }));
  }

  failed(error: string): void {
    this.#state = 'failed';
    this.#error = error;
    this.#settle();
  }

  /** Every credential once the check ran; none before. */
  credentials(): CredentialReport[] {
    return this.#credentials;
  }

  summary(): { state: 'pending' | 'done' | 'failed'; failing: CredentialReport[]; error?: string } {
    return { state: this.#state, failing: this.#credentials.filter((c) => c.problems.length), ...(this.#error ? { error: this.#error } : {}) };
  }
}
