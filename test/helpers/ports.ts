import { createServer, type AddressInfo } from 'node:net';

/** A port on 127.0.0.1 that something else already listens on, until the test ends. */
export async function takenPort(t: { teardown(fn: () => unknown): void }): Promise<number> {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  return (taken.address() as AddressInfo).port;
}
