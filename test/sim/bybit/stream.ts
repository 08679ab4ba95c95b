import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Clock } from '../../../src/core/clock.js';
import type { KeyStore } from './keys.js';
import { type Execution, type Order, renderExecution, renderOrder } from './orders.js';

export const PRIVATE_PATH = '/v5/private';
/** v5/ws/connect: without ping-pong or pushed data the connection is cut after 10 minutes; max_active_time sets 30 s to 600 s. */
const DEFAULT_ALIVE_MS = 600_000;
const ALIVE_MIN_MS = 30_000;
/** Private topics (v5/websocket/private/*): all-in-one or per category. */
const TOPICS = /^(order|execution|position)(\.(spot|linear|inverse|option))?$|^execution\.fast(\.(spot|linear|inverse|option))?$|^wallet$/;

/** One authentication the stream answered: tests assert who tried and what they got. */
export interface AuthAttempt {
  at: number;
  apiKey: string;
  success: boolean;
  retMsg: string;
}

interface Conn {
  id: string;
  ws: WebSocket;
  uid: number | null;
  apiKey: string | null;
  topics: Set<string>;
  lastActive: number;
  aliveMs: number;
}

/**
 * Bybit's V5 private WebSocket (docs v5/ws/connect, v5/websocket/private/order and /execution),
 * on its own port as stream.bybit.com is its own host: `auth` with [apiKey, expires, HMAC-SHA256(secret,
 * "GET/realtime" + expires)], `ping` answered by `pong`, `subscribe` to order, execution, position
 * and wallet; order and execution pushes for orders the REST simulator takes. The docs do not
 * give the texts of a refused auth nor say that a read-only key may subscribe: refusals use
 * "Request not authorized" (what Bybit is seen to answer) and every live key of the account may
 * subscribe. Bybit closes nothing after a refused auth; the client decides.
 */
export class PrivateStream {
  url = '';
  readonly auths: AuthAttempt[] = [];
  readonly #conns = new Set<Conn>();
  #wss: WebSocketServer | undefined;
  readonly #stopped = new AbortController();

  constructor(
    private readonly clock: Clock,
    private readonly now: () => number,
    private readonly keys: KeyStore,
  ) {}

  async start(): Promise<void> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: PRIVATE_PATH });
    this.#wss = wss;
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    this.url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}${PRIVATE_PATH}`;
    wss.on('connection', (ws, req) => this.#open(ws, req));
  }

  async close(): Promise<void> {
    this.#stopped.abort();
    for (const c of this.#conns) c.ws.terminate();
    await new Promise<void>((resolve) => (this.#wss ? this.#wss.close(() => resolve()) : resolve()));
  }

  /** Cuts every connection (or those of one API key) at the TCP level, as a network fault would: the client sees no close frame. */
  drop(apiKey?: string): number {
    let n = 0;
    for (const c of this.#conns) {
      if (apiKey && c.apiKey !== apiKey) continue;
      c.ws.terminate();
      n++;
    }
    return n;
  }

  /** The open connections: which key authenticated each and what it subscribed to. */
  connections(): { apiKey: string | null; topics: string[] }[] {
    return [...this.#conns].map((c) => ({ apiKey: c.apiKey, topics: [...c.topics] }));
  }

  /** Subscribed, authenticated connections of the order's account: an order update. */
  pushOrder(order: Order): void {
    this.#push(order.uid, 'order', order.category, { ...renderOrder(order), category: order.category, feeCurrency: '', createType: order.createType });
  }

  pushExecution(e: Execution): void {
    this.#push(e.uid, 'execution', e.category, { ...renderExecution(e), category: e.category, isLeverage: '0' });
  }

  #push(uid: number, family: 'order' | 'execution', category: string, row: Record<string, unknown>): void {
    const now = this.now();
    for (const c of this.#conns) {
      if (c.uid !== uid) continue;
      const topic = c.topics.has(family) ? family : c.topics.has(`${family}.${category}`) ? `${family}.${category}` : null;
      if (!topic) continue;
      c.lastActive = now;
      c.ws.send(JSON.stringify({ id: randomUUID(), topic, creationTime: now, data: [row] }));
    }
  }

  #open(ws: WebSocket, req: IncomingMessage): void {
    const alive = new URL(req.url ?? '/', 'ws://sim').searchParams.get('max_active_time');
    const conn: Conn = { id: randomUUID(), ws, uid: null, apiKey: null, topics: new Set(), lastActive: this.now(), aliveMs: aliveMs(alive) };
    this.#conns.add(conn);
    ws.on('close', () => this.#conns.delete(conn));
    ws.on('message', (raw) => this.#message(conn, raw.toString()));
    void this.#watchAlive(conn);
  }

  /** Closes the connection once it has been quiet (no ping, no push) for its alive time. */
  async #watchAlive(conn: Conn): Promise<void> {
    const stop = new AbortController();
    conn.ws.once('close', () => stop.abort());
    const signal = AbortSignal.any([stop.signal, this.#stopped.signal]);
    try {
      while (!signal.aborted) {
        await this.clock.sleep(conn.lastActive + conn.aliveMs - this.now(), signal);
        if (this.now() - conn.lastActive >= conn.aliveMs) return conn.ws.close(1000, 'no ping within max_active_time');
      }
    } catch {
      // closed
    }
  }

  #message(conn: Conn, text: string): void {
    let msg: { op?: unknown; args?: unknown; req_id?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return this.#reply(conn, { success: false, ret_msg: 'error:request not json', op: '' });
    }
    const reqId = typeof msg.req_id === 'string' ? { req_id: msg.req_id } : {};
    const args = Array.isArray(msg.args) ? (msg.args as unknown[]) : [];
    switch (msg.op) {
      case 'ping':
        conn.lastActive = this.now();
        return this.#reply(conn, { ...reqId, op: 'pong', args: [String(this.now())] });
      case 'auth':
        return this.#reply(conn, { ...reqId, ...this.#auth(conn, args), op: 'auth' });
      case 'subscribe': {
        if (conn.uid === null) return this.#reply(conn, { ...reqId, success: false, ret_msg: 'Request not authorized', op: 'subscribe' });
        const bad = args.find((a) => typeof a !== 'string' || !TOPICS.test(a));
        if (bad !== undefined) return this.#reply(conn, { ...reqId, success: false, ret_msg: `error:handler not found,topic:${String(bad)}`, op: 'subscribe' });
        for (const a of args as string[]) conn.topics.add(a);
        return this.#reply(conn, { ...reqId, success: true, ret_msg: '', op: 'subscribe' });
      }
      case 'unsubscribe':
        for (const a of args) conn.topics.delete(String(a));
        return this.#reply(conn, { ...reqId, success: true, ret_msg: '', op: 'unsubscribe' });
      default:
        return this.#reply(conn, { ...reqId, success: false, ret_msg: `error:invalid op`, op: String(msg.op ?? '') });
    }
  }

  /** The key must exist and be live (a revoked or deleted key is refused), expires in the future, the signature right. */
  #auth(conn: Conn, args: unknown[]): { success: boolean; ret_msg: string } {
    const [apiKey, expires, signature] = args;
    const now = this.now();
    const answer = (success: boolean, retMsg: string) => {
      this.auths.push({ at: now, apiKey: typeof apiKey === 'string' ? apiKey : '', success, retMsg });
      return { success, ret_msg: retMsg };
    };
    if (typeof apiKey !== 'string' || typeof signature !== 'string' || (typeof expires !== 'number' && typeof expires !== 'string')) return answer(false, 'Params Error');
    if (conn.uid !== null) return answer(false, 'Repeat auth');
    const key = this.keys.find(apiKey);
    if (!key || now < key.activeAt || (key.expiresAt !== null && now >= key.expiresAt)) return answer(false, 'Request not authorized');
    if (!(Number(expires) > now)) return answer(false, 'Params Error: expires is in the past');
    const expected = createHmac('sha256', key.secret).update(`GET/realtime${String(expires)}`).digest('hex');
    if (!same(expected, signature)) return answer(false, 'Request not authorized');
    conn.uid = key.uid;
    conn.apiKey = apiKey;
    return answer(true, '');
  }

  #reply(conn: Conn, body: Record<string, unknown>): void {
    conn.ws.send(JSON.stringify({ ...body, conn_id: conn.id }));
  }
}

/** max_active_time: "30s" to "600s", or minutes ("1m"); anything else keeps the default. */
function aliveMs(v: string | null): number {
  const m = v ? /^(\d+)(s|m)$/.exec(v) : null;
  if (!m) return DEFAULT_ALIVE_MS;
  const ms = Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000);
  return Math.min(DEFAULT_ALIVE_MS, Math.max(ALIVE_MIN_MS, ms));
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
