/**
 * The value of `fn`, computed on first use and kept once it succeeds; a failure is not kept, so the
 * next caller tries again (a secret that could not be read at start is read when it can be).
 */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let kept: Promise<T> | undefined;
  return () =>
    (kept ??= fn().catch((err: unknown) => {
      kept = undefined;
      throw err;
    }));
}
