import pg from 'pg';
import type { Wake, WakeSubscription } from './store.js';
import { decodeWake, encodeWake, LocalWakes, type WakeBus } from './wakeups.js';

export interface WakeLogger {
  warn(obj: object, msg?: string): void;
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

/**
 * Wake-ups across replicas through LISTEN/NOTIFY, as hints only: the payload names a topic and
 * an id, and the worker reads everything else from the store. LISTEN needs one session for
 * good, so it has its own client, not one borrowed from the pool. After every (re)connect
 * listeners hear a `scan`, since a NOTIFY sent while the connection was down is lost.
 */
export class PgWakeBus implements WakeBus {
  readonly #local = new LocalWakes();
  readonly #closed = new AbortController();
  #listening: Promise<void> | undefined;
  #client: pg.Client | undefined;

  constructor(
    private readonly opts: {
      connectionString: string;
      /** One channel per schema, so stores sharing a database never wake each other. */
      channel: string;
      /** Names the LISTEN session in pg_stat_activity. */
      applicationName: string;
      /** Sends a NOTIFY through the store's pool. */
      send: (channel: string, payload: string) => Promise<void>;
      logger?: WakeLogger;
    },
  ) {}

  async notify(wake: Wake): Promise<void> {
    this.#local.emit(wake);
    await this.opts.send(this.opts.channel, encodeWake(wake));
  }

  subscribe(listener: (wake: Wake) => void): WakeSubscription {
    const close = this.#local.add(listener);
    this.#listening ??= new Promise((ready) => void this.#listen(ready));
    return { ready: this.#listening, close };
  }

  async close(): Promise<void> {
    this.#closed.abort();
    await this.#client?.end().catch(() => {});
  }

  /** Keeps one LISTEN session up until close(); `ready` once the first attempt has ended either way. */
  async #listen(ready: () => void): Promise<void> {
    let retryMs = FIRST_RETRY_MS;
    while (!this.#closed.signal.aborted) {
      const client = new pg.Client({ connectionString: this.opts.connectionString, application_name: this.opts.applicationName });
      const lost = new Promise<unknown>((resolve) => {
        client.on('error', resolve);
        client.on('end', () => resolve(new Error('the LISTEN connection ended')));
      });
      client.on('notification', (n) => this.#local.emit(decodeWake(n.payload)));
      try {
        this.#client = client;
        await client.connect();
        await client.query(`LISTEN ${client.escapeIdentifier(this.opts.channel)}`);
        retryMs = FIRST_RETRY_MS;
        ready();
        this.#local.emit({ topic: 'scan' });
        const err = await Promise.race([lost, new Promise((r) => this.#closed.signal.addEventListener('abort', r, { once: true }))]);
        if (this.#closed.signal.aborted) return;
        this.opts.logger?.warn({ err }, 'the wake-up connection to PostgreSQL was lost; reconnecting (the poll covers the gap)');
      } catch (err) {
        ready();
        this.opts.logger?.warn({ err, retryMs }, 'cannot LISTEN for wake-ups on PostgreSQL; retrying (the poll covers the gap)');
      }
      await client.end().catch(() => {});
      await new Promise((r) => setTimeout(r, retryMs).unref());
      retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
    }
  }
}
