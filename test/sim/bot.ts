import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { RestClientV5 } from 'bybit-api';
import type { KubernetesSim, PodContext } from './kubernetes/index.js';
import type { KubeObject } from './kubernetes/store.js';

/**
 * A simulated trading bot that runs "inside" the Kubernetes simulator's pods, as the
 * runbook's bot does: at start it reads its key (Secrets Manager for `direct` delivery, the
 * pod's env from the Kubernetes Secret for `external-secrets`), then places and cancels
 * orders on the Bybit simulator with its orderLinkId prefix, and writes log lines to its pod
 * log, including the exchange's auth errors once its key stops working. Tests and the demo
 * use it to prove that a rotation really reached the bot.
 *
 * Pod env it reads (set on the Deployment's container): BOT_SECRET_ID (direct delivery),
 * BYBIT_API_KEY / BYBIT_API_SECRET (external-secrets), BOT_ORDER_PREFIX, BOT_SYMBOL,
 * BOT_CATEGORY (linear or spot).
 */
export interface BotOptions {
  bybitUrl: string;
  /** Secrets Manager simulator and the credentials the pods' IAM role would have. */
  secretsManager: { url: string; accessKeyId: string; secretAccessKey: string };
  /** Real milliseconds between trading rounds. */
  tradeEveryMs?: number;
  /** IP the bot's requests come from (the Bybit simulator reads x-sim-client-ip). */
  ip?: string;
  /** Pass when the simulators run on a ManualClock: sign with Bybit's server time. */
  syncTime?: boolean;
}

/** Auth-related retCodes: the bot logs them as the HTTP 401/403 a real bot's client reports. */
const AUTH_CODES = new Set([10003, 10004, 10005, 10007, 10010, 33004]);

export interface PodStats {
  pod: string;
  keyHint: string | null;
  placed: number;
  authErrors: number;
  running: boolean;
}

export class SimulatedBot {
  readonly pods = new Map<string, PodStats>();
  #detach?: () => void;
  /** Stops every running pod loop when the bot is detached (end of a test, the demo). */
  readonly #stopped = new AbortController();

  constructor(private readonly opts: BotOptions) {}

  /** Runs the bot in every pod the simulator starts from now on whose env names a prefix. */
  attach(k8s: KubernetesSim): void {
    this.#detach = k8s.onPodStarted((pod, ctx) => {
      if (!ctx.env.BOT_ORDER_PREFIX) return;
      void this.#run(pod, ctx);
    });
  }

  detach(): void {
    this.#detach?.();
    this.#stopped.abort();
  }

  /** Orders placed by pods that started with a key whose first 4 characters are `hint`. */
  placedWith(hint: string): number {
    return [...this.pods.values()].filter((p) => p.keyHint === hint).reduce((n, p) => n + p.placed, 0);
  }

  async #run(pod: KubeObject, ctx: PodContext): Promise<void> {
    const name = pod.metadata.name;
    const signal = AbortSignal.any([ctx.signal, this.#stopped.signal]);
    const stats: PodStats = { pod: name, keyHint: null, placed: 0, authErrors: 0, running: true };
    this.pods.set(name, stats);
    const log = (line: string) => {
      try {
        ctx.appendLog(`${new Date().toISOString()} ${line}`);
      } catch {
        // The pod is already gone (its grace period ended while a call was in flight): nothing reads its log now.
      }
    };
    try {
      const key = await this.#readKey(ctx.env);
      stats.keyHint = key.apiKey.slice(0, 4);
      log(`INFO starting with key ${stats.keyHint}…`);
      const client = new RestClientV5(
        { key: key.apiKey, secret: key.apiSecret, baseUrl: this.opts.bybitUrl, ...(this.opts.syncTime ? { syncTimeBeforePrivateRequests: true } : {}) },
        { headers: { 'x-sim-client-ip': this.opts.ip ?? '127.0.0.1' } },
      );
      const category = (ctx.env.BOT_CATEGORY ?? 'linear') as 'linear' | 'spot';
      const symbol = ctx.env.BOT_SYMBOL ?? 'BTCUSDT';
      const open: string[] = [];
      for (let n = 1; !signal.aborted; n++) {
        const orderLinkId = `${ctx.env.BOT_ORDER_PREFIX}${name.slice(-5)}-${n}`;
        // Far from the market, so it rests on the book: a maker strategy's quotes.
        const res = await client.submitOrder({ category, symbol, side: 'Buy', orderType: 'Limit', qty: '0.001', price: '10000', orderLinkId }).catch((e: unknown) => ({ retCode: -1, retMsg: String(e) }));
        if (res.retCode === 0) {
          stats.placed++;
          open.push(orderLinkId);
          log(`INFO order placed orderLinkId=${orderLinkId}`);
          if (open.length > 3) {
            const oldest = open.shift()!;
            await client.cancelOrder({ category, symbol, orderLinkId: oldest }).catch(() => undefined);
            log(`INFO order cancelled orderLinkId=${oldest}`);
          }
        } else if (AUTH_CODES.has(res.retCode)) {
          stats.authErrors++;
          log(`ERROR bybit auth error HTTP ${res.retCode === 10003 || res.retCode === 10004 ? 401 : 403} retCode=${res.retCode} retMsg="${res.retMsg}"`);
        } else {
          log(`WARN bybit retCode=${res.retCode} retMsg="${res.retMsg}"`);
        }
        await sleep(this.opts.tradeEveryMs ?? 200, signal);
      }
    } catch (err) {
      if (!signal.aborted) log(`ERROR bot failed: ${(err as Error).message}`);
    } finally {
      stats.running = false;
      log('INFO stopping');
    }
  }

  async #readKey(env: Record<string, string>): Promise<{ apiKey: string; apiSecret: string }> {
    if (env.BYBIT_API_KEY && env.BYBIT_API_SECRET) return { apiKey: env.BYBIT_API_KEY, apiSecret: env.BYBIT_API_SECRET };
    if (!env.BOT_SECRET_ID) throw new Error('no key: set BOT_SECRET_ID or BYBIT_API_KEY/BYBIT_API_SECRET');
    const sm = new SecretsManagerClient({
      endpoint: this.opts.secretsManager.url,
      region: 'us-east-1',
      credentials: { accessKeyId: this.opts.secretsManager.accessKeyId, secretAccessKey: this.opts.secretsManager.secretAccessKey },
    });
    try {
      const out = await sm.send(new GetSecretValueCommand({ SecretId: env.BOT_SECRET_ID }));
      const s = JSON.parse(out.SecretString ?? '{}') as { api_key: string; api_secret: string };
      return { apiKey: s.api_key, apiSecret: s.api_secret };
    } finally {
      sm.destroy();
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
