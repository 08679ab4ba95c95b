import type { SpikeConfig } from './config.js';
import type { ErrorClass, Hit, Recognizer } from './recognise.js';
import { BaselineLearner, SlidingCount, type Baseline } from './window.js';

/** Sample lines kept per credential and class, as evidence. */
const SAMPLES = 5;
/**
 * A sample kept raw is cut here, far beyond what the signal shows (signal.ts): the signal scrubs
 * before it cuts, so a secret cut in two here would have to lie beyond what is shown.
 */
const SAMPLE_CHARS = 1000;

/** Where the lines came from. */
export type LogSource = 'pod-logs' | 'ingest';

/** One spike: what the signal is built from. Samples are raw here; the signal redacts them. */
export interface Spike {
  credentialId: string;
  cls: ErrorClass;
  /** Intake time (receivedAt) of the line that crossed the threshold. */
  at: number;
  count: number;
  threshold: number;
  baseline: Baseline;
  codes: Record<string, number>;
  samples: string[];
  sources: LogSource[];
}

interface ClassState {
  window: SlidingCount;
  spiking: boolean;
  codes: Record<string, number>;
  samples: string[];
  sources: Set<LogSource>;
}

interface CredentialState {
  recognizer: Recognizer;
  learner: BaselineLearner;
  classes: Partial<Record<ErrorClass, ClassState>>;
}

/** A digit or a dot. */
const numeric = (c: number) => (c >= 48 && c <= 57) || c === 46;

export interface CoreOptions {
  spike: SpikeConfig;
  /** The intake's clock: windows go by when LeakGuard received a line, never by a timestamp the line claims. */
  now(): number;
  /** A closed window changed the credential's baseline: store it. */
  learned(credentialId: string, baseline: Baseline): void;
}

/**
 * The streaming core both sources feed: finds the auth errors of each credential's exchange in
 * text, counts them in a sliding window per credential and class, and reports a spike once when
 * the count rises above both the floor and a multiple of the learned baseline (bans: above their
 * own floor). Memory per credential is constant; lines are not kept beyond five samples.
 */
export class AuthErrorCore {
  readonly #credentials = new Map<string, CredentialState>();

  constructor(private readonly opts: CoreOptions) {}

  /** Makes a credential known, with the baseline the store kept (none: learned from scratch). */
  add(credentialId: string, recognizer: Recognizer, baseline?: Baseline): void {
    if (this.#credentials.has(credentialId)) return;
    this.#credentials.set(credentialId, { recognizer, learner: new BaselineLearner(this.opts.spike.windowSeconds * 1000, baseline), classes: {} });
  }

  has(credentialId: string): boolean {
    return this.#credentials.has(credentialId);
  }

  /** Complete lines ("\n" between them) of one credential; the spikes they raised. */
  scan(credentialId: string, text: string, source: LogSource): Spike[] {
    const state = this.#state(credentialId);
    const re = state.recognizer.candidates;
    const spikes: Spike[] = [];
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      // A number inside a longer one (a price, an id, a time) is not a code: skipped before any line is cut out.
      if (numeric(text.charCodeAt(m.index - 1)) || numeric(text.charCodeAt(m.index + m[0].length))) continue;
      const start = text.lastIndexOf('\n', m.index) + 1;
      let end = text.indexOf('\n', m.index);
      if (end < 0) end = text.length;
      const line = text.slice(start, end);
      const hit = state.recognizer.classify(line);
      if (hit) {
        const spike = this.#count(credentialId, state, hit, line, source);
        if (spike) spikes.push(spike);
      }
      re.lastIndex = end + 1;
    }
    return spikes;
  }

  #state(credentialId: string): CredentialState {
    const state = this.#credentials.get(credentialId);
    if (!state) throw new Error(`credential ${credentialId} is not known to the auth-error core`);
    return state;
  }

  #count(credentialId: string, state: CredentialState, hit: Hit, line: string, source: LogSource): Spike | null {
    const { spike: cfg } = this.opts;
    const now = this.opts.now();
    const cls = (state.classes[hit.cls] ??= { window: new SlidingCount(cfg.windowSeconds * 1000), spiking: false, codes: {}, samples: [], sources: new Set() });
    if (hit.cls === 'auth' && state.learner.add(now)) this.opts.learned(credentialId, state.learner.baseline);
    const threshold = hit.cls === 'auth' ? Math.max(cfg.floor, Math.floor(cfg.multiple * state.learner.baseline.mean) + 1) : cfg.banFloor;
    // A spike is reported once; it may be reported again once its window has fallen below the threshold.
    if (cls.window.total(now) < threshold && cls.spiking) cls.spiking = false;
    if (cls.window.total(now) === 0) {
      cls.codes = {};
      cls.sources.clear();
    }
    const count = cls.window.add(now);
    cls.codes[hit.code] = (cls.codes[hit.code] ?? 0) + 1;
    cls.sources.add(source);
    if (cls.samples.length === SAMPLES) cls.samples.shift();
    cls.samples.push(line.length > SAMPLE_CHARS ? line.slice(0, SAMPLE_CHARS) : line);
    if (cls.spiking || count < threshold) return null;
    cls.spiking = true;
    if (hit.cls === 'auth') state.learner.markSpike();
    return { credentialId, cls: hit.cls, at: now, count, threshold, baseline: { ...state.learner.baseline }, codes: { ...cls.codes }, samples: [...cls.samples], sources: [...cls.sources] };
  }
}
