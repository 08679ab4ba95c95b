/**
 * Tells followers (the API's event streams) that an incident's timeline may have grown: the
 * runner's events and the incident service's requests in this process. A follower re-reads the
 * store on each hint and on its own poll, so a hint lost (or written by another replica) only delays.
 */
export class IncidentChanges {
  readonly #followers = new Map<string, Set<() => void>>();

  changed(incidentId: string): void {
    for (const f of this.#followers.get(incidentId) ?? []) f();
  }

  /** Resolves at the next change of the incident, after `maxWaitMs`, or when `signal` aborts. */
  next(incidentId: string, maxWaitMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const set = this.#followers.get(incidentId) ?? new Set();
      this.#followers.set(incidentId, set);
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        set.delete(done);
        if (!set.size) this.#followers.delete(incidentId);
        resolve();
      };
      // Real time on purpose: the poll is the fallback for hints from elsewhere, not part of what a test waits on.
      const timer = setTimeout(done, maxWaitMs);
      signal.addEventListener('abort', done);
      set.add(done);
    });
  }
}
