import type { IncomingMessage, ServerResponse } from 'node:http';
import { systemClock, type Clock } from '../../src/core/clock.js';
import type { FaultInjector } from './faults.js';
import { listen, type SimServer } from './http.js';

/**
 * What the exchange simulators share: a server clock that can run ahead of or behind its
 * clients (timestamp windows are checked against it), and one HTTP server with the /_sim
 * control API.
 */
export abstract class ExchangeSim<Seed> {
  readonly clock: Clock;
  /** Added to the clock: puts the server ahead of (or behind) its clients. */
  clockOffsetMs = 0;
  url = '';
  #server: SimServer | undefined;
  abstract readonly faults: FaultInjector;

  constructor(clock: Clock | undefined) {
    this.clock = clock ?? systemClock;
  }

  /** Server time: the clock plus the offset. */
  now(): number {
    return this.clock.now() + this.clockOffsetMs;
  }

  async start(): Promise<{ url: string; close(): Promise<void> }> {
    this.#server = await listen((req, res, body) => this.handle(req, res, body), {
      faults: this.faults,
      state: () => this.state(),
      seed: (body) => this.seed(body as Seed),
    });
    this.url = this.#server.url;
    return { url: this.url, close: () => this.close() };
  }

  async close(): Promise<void> {
    await this.#server?.close();
  }

  protected abstract handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void>;
  abstract state(): unknown;
  abstract seed(doc: Seed): unknown;
}
