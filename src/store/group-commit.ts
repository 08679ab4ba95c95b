interface Waiting<I, O> {
  input: I;
  resolve(out: O): void;
  reject(err: unknown): void;
}

/**
 * Group commit: calls made in the same turn of the event loop (concurrent requests whose bodies
 * arrived together) are written as one batch, one statement and one commit, at the end of that
 * turn; each call settles with its own result only once the batch is committed. A commit per call
 * cost most of a webhook delivery's handling time (bench/github-webhooks.ts).
 */
export class GroupCommit<I, O> {
  #batch: Waiting<I, O>[] = [];
  readonly #writing = new Set<Promise<void>>();

  /** `write` settles one result per input, in order: an input it cannot take fails alone; a failed commit fails them all. */
  constructor(
    private readonly write: (inputs: I[]) => Promise<PromiseSettledResult<O>[]>,
    private readonly maxBatch = 200,
  ) {}

  add(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const n = this.#batch.push({ input, resolve, reject });
      if (n === 1) setImmediate(() => this.#flush());
      else if (n >= this.maxBatch) this.#flush();
    });
  }

  /** Writes what waits now and resolves once every batch begun has ended (before the database closes). */
  async drain(): Promise<void> {
    this.#flush();
    await Promise.all(this.#writing);
  }

  #flush(): void {
    const batch = this.#batch;
    if (!batch.length) return;
    this.#batch = [];
    const writing = this.write(batch.map((w) => w.input)).then(
      (outs) =>
        batch.forEach((w, i) => {
          const out = outs[i]!;
          if (out.status === 'fulfilled') w.resolve(out.value);
          else w.reject(out.reason);
        }),
      (err: unknown) => batch.forEach((w) => w.reject(err)),
    );
    this.#writing.add(writing);
    void writing.finally(() => this.#writing.delete(writing));
  }
}
