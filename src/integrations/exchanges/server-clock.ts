import type { Clock } from '../../core/clock.js';

/**
 * The exchange's time as LeakGuard estimates it: our clock plus the skew last measured
 * against the exchange's time endpoint. Requests are signed with it, so a 10002 / -1021
 * (timestamp outside recv_window) is cured by measuring again and retrying.
 */
export class ServerClock {
  #skewMs = 0;

  constructor(private readonly clock: Clock) {}

  now(): number {
    return this.clock.now() + this.#skewMs;
  }

  /** Measures the skew with `fetchServerTime` (epoch ms), assuming a symmetric round trip. */
  async sync(fetchServerTime: () => Promise<number>): Promise<void> {
    const sent = this.clock.now();
    const server = await fetchServerTime();
    const received = this.clock.now();
    this.#skewMs = server - Math.round((sent + received) / 2);
  }
}
