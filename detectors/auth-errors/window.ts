/** Buckets per window: the count slides in steps of a tenth of the window. */
const BUCKETS = 10;

/** A count of events in the last `windowMs`, in fixed memory (a ring of buckets), fed in time order. */
export class SlidingCount {
  readonly #buckets = new Int32Array(BUCKETS);
  readonly #width: number;
  #head = -Infinity;
  #total = 0;

  constructor(windowMs: number) {
    this.#width = windowMs / BUCKETS;
  }

  /** The count within the window ending at `at`. */
  total(at: number): number {
    this.#advance(at);
    return this.#total;
  }

  add(at: number): number {
    this.#advance(at);
    this.#buckets[this.#head % BUCKETS]! += 1;
    return ++this.#total;
  }

  #advance(at: number): void {
    const idx = Math.floor(at / this.#width);
    if (idx <= this.#head) return;
    const steps = Math.min(idx - this.#head, BUCKETS);
    for (let i = 1; i <= steps; i++) {
      const b = (idx - steps + i) % BUCKETS;
      this.#total -= this.#buckets[b]!;
      this.#buckets[b] = 0;
    }
    this.#head = idx;
  }
}

/** What is learned of a credential: its usual auth errors per window, kept in the store. */
export interface Baseline {
  /** Exponentially weighted mean of the auth errors per window, spike windows left out. */
  mean: number;
  /** How many windows it was learned from. */
  windows: number;
}

/**
 * The learned baseline, fed by tumbling windows of the same length: a window's count is learned
 * when it closes (unless it was a spike), windows without a single error pull the mean down.
 * Weighted so the last hour or so counts most.
 */
export class BaselineLearner {
  readonly #alpha: number;
  #window = -1;
  #count = 0;
  #spiked = false;

  constructor(
    private readonly windowMs: number,
    public baseline: Baseline = { mean: 0, windows: 0 },
  ) {
    this.#alpha = 2 / (Math.max(1, Math.round(3_600_000 / windowMs)) + 1);
  }

  /** Counts one error at `at`; true when a window closed and the baseline changed (to be stored). */
  add(at: number): boolean {
    const closed = this.#roll(at);
    this.#count += 1;
    return closed;
  }

  /** The current window holds a spike: it is not learned. */
  markSpike(): void {
    this.#spiked = true;
  }

  #roll(at: number): boolean {
    const w = Math.floor(at / this.windowMs);
    if (w === this.#window) return false;
    const first = this.#window < 0;
    if (!first) {
      if (!this.#spiked) this.#learn(this.#count);
      // Windows without an error were quiet ones: a bounded number of them decays the mean.
      const empty = Math.min(w - this.#window - 1, 1000);
      if (empty > 0) this.baseline = { mean: this.baseline.mean * (1 - this.#alpha) ** empty, windows: this.baseline.windows + empty };
    }
    this.#window = w;
    this.#count = 0;
    this.#spiked = false;
    return !first;
  }

  #learn(count: number): void {
    const { mean, windows } = this.baseline;
    this.baseline = { mean: windows === 0 ? count : mean + this.#alpha * (count - mean), windows: windows + 1 };
  }
}
