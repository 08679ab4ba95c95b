import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../src/core/clock.js';

/**
 * Fault injection shared by every simulator. A fault applies to one operation name (as
 * the simulator names it, e.g. "PutSecretValue", "POST /v5/order/cancel-all") or to "*".
 */
export type Fault =
  /** Adds real-time latency before the call is handled (to test client timeouts). */
  | { kind: 'latency'; ms: number; times?: number }
  /** Holds the call until `until` settles, then handles it (in-process tests: an order made certain, not timed). */
  | { kind: 'hold'; until: Promise<unknown>; times?: number }
  /** Answers the next `times` calls with this status and body instead of handling them. */
  | { kind: 'error'; status: number; body: unknown; headers?: Record<string, string>; times?: number }
  /** Destroys the connection without an answer (a reset, as a crashed peer or LB gives). */
  | { kind: 'drop'; times?: number }
  /** Allows `perSecond` calls per second of the simulator's clock; beyond, the simulator's own throttling answer. */
  | { kind: 'throttle'; perSecond: number };

export interface ThrottleAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface Armed {
  op: string;
  fault: Fault;
  remaining: number;
  calls: number[];
}

export class FaultInjector {
  #armed: Armed[] = [];
  readonly #clock: Clock;
  readonly #throttled: (op: string) => ThrottleAnswer;
  /** Every operation seen, in order: tests assert on what reached the simulator. */
  readonly calls: string[] = [];
  /** Every operation a latency fault held back, in order: tests assert on it instead of on wall-clock time. */
  readonly delayed: string[] = [];

  constructor(clock: Clock, throttled: (op: string) => ThrottleAnswer) {
    this.#clock = clock;
    this.#throttled = throttled;
  }

  inject(op: string, fault: Fault): void {
    const remaining = fault.kind === 'throttle' ? Infinity : (fault.times ?? (fault.kind === 'latency' || fault.kind === 'hold' ? Infinity : 1));
    this.#armed.push({ op, fault, remaining, calls: [] });
  }

  clear(): void {
    this.#armed = [];
  }

  /**
   * Applies the faults armed for `op`. Returns true when the call was answered (or dropped)
   * here and the simulator must not handle it.
   */
  async apply(op: string, res: ServerResponse, req: IncomingMessage): Promise<boolean> {
    this.calls.push(op);
    for (const armed of this.#armed.filter((a) => a.op === op || a.op === '*')) {
      const f = armed.fault;
      if (armed.remaining <= 0) continue;
      if (f.kind === 'throttle') {
        const now = this.#clock.now();
        armed.calls = armed.calls.filter((t) => t > now - 1000);
        if (armed.calls.length >= f.perSecond) {
          send(res, this.#throttled(op));
          return true;
        }
        armed.calls.push(now);
        continue;
      }
      armed.remaining -= 1;
      if (f.kind === 'latency' || f.kind === 'hold') {
        this.delayed.push(op);
        await (f.kind === 'hold' ? f.until.catch(() => {}) : new Promise((r) => setTimeout(r, f.ms)));
        continue;
      }
      if (f.kind === 'drop') {
        req.socket.destroy();
        return true;
      }
      send(res, { status: f.status, body: f.body, headers: f.headers });
      return true;
    }
    this.#armed = this.#armed.filter((a) => a.remaining > 0);
    return false;
  }
}

function send(res: ServerResponse, answer: ThrottleAnswer): void {
  const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
  res.end(body);
}
