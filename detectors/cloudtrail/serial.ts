/** Runs read-modify-writes of the detector's state one at a time in this process (events are handled concurrently). */
export type Serial = <T>(fn: () => Promise<T>) => Promise<T>;

export function serial(): Serial {
  let tail: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => {});
    return run;
  };
}
