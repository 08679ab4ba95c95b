/**
 * A keep-alive HTTP/1.1 load generator that costs next to nothing per request: each request is
 * written as prepared bytes and each answer read only for its status and length. node:http's
 * client (or fetch) spends about as much per request as a bare server does, so on a small machine
 * it, not the server, would set the limit a benchmark measures.
 */
import { connect, type Socket } from 'node:net';

export interface LoadRequest {
  headers: Record<string, string>;
  body: string;
}

export interface LoadResult {
  elapsedMs: number;
  /** Answers by HTTP status; 0 counts requests that got no answer. */
  statuses: Record<number, number>;
  /** Per request, from writing it to the end of its answer, in ms. */
  latencies: number[];
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** The request's bytes as a client sends them to `url` (Host and Content-Length added). */
function requestBytes(url: URL, r: LoadRequest): Buffer {
  const head = [`POST ${url.pathname} HTTP/1.1`, `Host: ${url.host}`, ...Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`), `Content-Length: ${Buffer.byteLength(r.body)}`];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(r.body, 'utf8')]);
}

/** One kept-alive connection, one request at a time; a new connection after the server closes one. */
class Connection {
  #socket: Socket | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  #waiting: ((status: number) => void) | undefined;
  #close = false;

  constructor(private readonly url: URL) {}

  send(bytes: Buffer): Promise<number> {
    if (!this.#socket || this.#close) this.#open();
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#socket!.write(bytes);
    });
  }

  destroy(): void {
    this.#socket?.destroy();
  }

  #open(): void {
    this.#socket?.destroy();
    this.#buffer = Buffer.alloc(0);
    this.#close = false;
    const socket = connect(Number(this.url.port), this.url.hostname);
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, d]) : d;
      this.#read();
    });
    const lost = () => {
      if (this.#socket === socket) this.#socket = undefined;
      this.#answer(0);
    };
    socket.on('error', lost);
    socket.on('close', lost);
    this.#socket = socket;
  }

  #read(): void {
    const end = this.#buffer.indexOf(HEAD_END);
    if (end < 0) return;
    const head = this.#buffer.subarray(0, end).toString('latin1');
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    // Both servers measured answer with a length; anything else is a failed answer here.
    if (!length) return void (this.#answer(0), this.#socket?.destroy());
    if (this.#buffer.length < end + 4 + Number(length[1])) return;
    this.#buffer = this.#buffer.subarray(end + 4 + Number(length[1]));
    this.#close = /\r\nconnection: *close/i.test(head);
    this.#answer(Number(head.slice(9, 12)));
  }

  #answer(status: number): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.(status);
  }
}

/** Sends every request once, `concurrency` at a time over as many kept-alive connections. */
export async function drive(url: URL, requests: readonly LoadRequest[], concurrency: number): Promise<LoadResult> {
  const bytes = requests.map((r) => requestBytes(url, r));
  const connections = Array.from({ length: concurrency }, () => new Connection(url));
  const statuses: Record<number, number> = {};
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    connections.map(async (c) => {
      while (next < bytes.length) {
        const b = bytes[next++]!;
        const t0 = performance.now();
        const status = await c.send(b);
        latencies.push(performance.now() - t0);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  connections.forEach((c) => c.destroy());
  return { elapsedMs, statuses, latencies };
}
