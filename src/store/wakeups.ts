import type { Wake, WakeSubscription } from './store.js';

/** Where wake-ups go: listeners in this process, and (PostgreSQL) the other replicas. */
export interface WakeBus {
  notify(wake: Wake): Promise<void>;
  subscribe(listener: (wake: Wake) => void): WakeSubscription;
  close(): Promise<void>;
}

/** Listeners in this process; a throwing listener cannot keep the others from hearing. */
export class LocalWakes {
  readonly #listeners = new Set<(wake: Wake) => void>();

  emit(wake: Wake): void {
    for (const l of [...this.#listeners]) {
      try {
        l(wake);
      } catch {
        // A wake-up is a hint; the poll still finds the work.
      }
    }
  }

  add(listener: (wake: Wake) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }
}

/** SQLite means one replica: wake-ups stay in this process. */
export class InProcessWakeBus implements WakeBus {
  readonly #local = new LocalWakes();

  async notify(wake: Wake): Promise<void> {
    this.#local.emit(wake);
  }

  subscribe(listener: (wake: Wake) => void): WakeSubscription {
    return { ready: Promise.resolve(), close: this.#local.add(listener) };
  }

  async close(): Promise<void> {}
}

/** A wake-up as a NOTIFY payload: the topic and an id, nothing else. */
export function encodeWake(wake: Wake): string {
  return wake.topic === 'scan' ? 'scan' : `${wake.topic}:${wake.id}`;
}

/** Anything not understood is read as "look at everything". */
export function decodeWake(payload: string | undefined): Wake {
  const [topic, ...rest] = (payload ?? '').split(':');
  const id = rest.join(':');
  return (topic === 'incident' || topic === 'work') && id ? { topic, id } : { topic: 'scan' };
}
