import type { Decision, PlaybookName, Severity } from '../core/incident.js';
import { UNMATCHED, type Signal } from '../core/signal.js';
import type { FieldCondition, Rule, RuleMatch } from './rules.js';

/** What the rules read of a signal. */
export type EngineSignal = Pick<Signal, 'id' | 'kind' | 'source' | 'confidence' | 'credentialId' | 'evidence' | 'receivedAt' | 'match'>;

/** What the caller read from the store for the signal's credential, after the signal was stored. */
export interface CredentialState {
  credential: { id: string; tags: readonly string[] };
  /** The credential's signals received within the longest window of the rules before the decided one, or after it (the decided one may be among them). */
  window: readonly EngineSignal[];
  /** Its active incident; `changingKey` while LeakGuard itself rotates, promotes or revokes its key. */
  active: { id: string; playbook: PlaybookName; changingKey: boolean } | null;
  /** Its finished incidents, any order, with the key version each targeted. */
  recent: readonly { id: string; playbook: PlaybookName; closedAt: number; versionId?: string }[];
  /** The kill switch is on, globally or for this credential. */
  paused: boolean;
}

/** What to do with one signal. Every outcome names the rule behind it (null: no rule matched, or a guard of the engine). */
export type Outcome =
  | { action: 'open'; decision: Decision; paused: boolean }
  | { action: 'escalate'; incidentId: string; from: PlaybookName; decision: Decision; paused: boolean }
  | { action: 'attach'; incidentId: string; rule: string | null; reason: string; decision?: Decision }
  | { action: 'alert'; rule: string; severity: Severity; reason: string; incidentId?: string; signalIds: string[] }
  | { action: 'ignore'; rule: string | null; reason: string };

/** Playbook strength, for escalation (DESIGN.md): a running incident only ever escalates. */
export const STRENGTH: Record<PlaybookName | 'alert' | 'none', number> = {
  lockdown: 4,
  'break-glass': 3,
  emergency: 2,
  offboarding: 2,
  scheduled: 1,
  rollback: 1,
  alert: 0,
  none: -1,
};

/**
 * Decides one signal: every rule is evaluated in file order, the strongest result wins (the
 * first of equals). Pure: the caller passes the state it read from the store and `now`.
 * Unmatched signals and signals of a key whose revocation was proved are never acted on.
 */
export function decide(rules: readonly Rule[], signal: EngineSignal, state: CredentialState, now: number): Outcome {
  if (!signal.credentialId || signal.kind.endsWith(UNMATCHED)) return { action: 'ignore', rule: null, reason: 'the signal matches no credential of ours' };
  const attachOr = (rule: string | null, reason: string): Outcome => (state.active ? { action: 'attach', incidentId: state.active.id, rule, reason } : { action: 'ignore', rule, reason });
  if (signal.match?.revoked) return attachOr(null, 'the key it concerns was already proved revoked');

  let best: { rule: Rule; signalIds: string[] } | undefined;
  for (const rule of rules) {
    const ids = matched(rule, signal, state, now);
    if (ids && (!best || STRENGTH[rule.playbook] > STRENGTH[best.rule.playbook])) best = { rule, signalIds: ids };
  }
  if (!best) return attachOr(null, 'no rule matches');
  const { rule, signalIds } = best;
  const why = `${rule.name}: ${signal.kind} from ${signal.source}${rule.window ? ` (${signalIds.length} signal(s) from ${new Set(state.window.concat(signal).filter((s) => signalIds.includes(s.id)).map((s) => s.source)).size} source(s) within ${rule.window.minutes} min)` : ''}`;
  if (rule.playbook === 'none') return attachOr(rule.name, `${why}: recorded only`);
  if (rule.playbook === 'alert') return { action: 'alert', rule: rule.name, severity: rule.severity, reason: `${why}: alert only`, signalIds, ...(state.active ? { incidentId: state.active.id } : {}) };

  const decision: Decision = {
    credentialId: signal.credentialId,
    playbook: rule.playbook,
    needsApproval: rule.approval || state.paused,
    confidence: signal.confidence,
    rule: rule.name,
    reason: state.paused ? `${why}; automation is paused, so it waits for an operator` : why,
    severity: rule.severity,
    signalIds,
  };
  const active = state.active;
  if (active) {
    if (STRENGTH[rule.playbook] <= STRENGTH[active.playbook]) return { action: 'attach', incidentId: active.id, rule: rule.name, reason: `${why}: the running ${active.playbook} already covers it`, decision };
    // Auth errors from the dying old key are LeakGuard's own doing, not a new compromise.
    if (active.changingKey && signal.confidence === 'suspected') return { action: 'attach', incidentId: active.id, rule: rule.name, reason: `${why}: LeakGuard is changing this key itself, so a suspected signal escalates nothing`, decision };
    return { action: 'escalate', incidentId: active.id, from: active.playbook, decision, paused: state.paused };
  }
  // A cooldown covers the key the finished incident answered for: a leak of the new key is a new incident.
  const sameKey = (versionId?: string) => !versionId || !signal.match?.versionId || versionId === signal.match.versionId;
  const cooling = rule.cooldown > 0
    ? state.recent.filter((i) => i.closedAt >= now - rule.cooldown * 60_000 && STRENGTH[i.playbook] >= STRENGTH[rule.playbook] && sameKey(i.versionId)).sort((a, b) => b.closedAt - a.closedAt)[0]
    : undefined;
  if (cooling) return { action: 'attach', incidentId: cooling.id, rule: rule.name, reason: `${why}: within the ${rule.cooldown} min cooldown after ${cooling.playbook} ${cooling.id}`, decision };
  return { action: 'open', decision, paused: state.paused };
}

/** The ids of the signals that make the rule match (the decided one last), or undefined. */
function matched(rule: Rule, signal: EngineSignal, state: CredentialState, now: number): string[] | undefined {
  if (!matches(rule.match, signal, state, now)) return undefined;
  if (!rule.window) return [signal.id];
  // Within the window of this one, before or after: a signal another replica received a moment later
  // may be stored before this one is decided, and that one's own decision may not have seen this.
  const span = rule.window.minutes * 60_000;
  const inWindow = new Map<string, EngineSignal>();
  for (const s of [...state.window, signal]) if (Math.abs(s.receivedAt - signal.receivedAt) <= span && s.credentialId === signal.credentialId && matches(rule.match, s, state, now)) inWindow.set(s.id, s);
  const all = [...inWindow.values()];
  if (all.length < rule.window.count || new Set(all.map((s) => s.source)).size < rule.window.distinctSources) return undefined;
  return [...all.filter((s) => s.id !== signal.id).map((s) => s.id), signal.id];
}

function matches(m: RuleMatch, s: EngineSignal, state: CredentialState, now: number): boolean {
  if (m.kind !== undefined && !anyGlob(m.kind, s.kind)) return false;
  if (m.source !== undefined && !anyGlob(m.source, s.source)) return false;
  if (m.confidence !== undefined && m.confidence !== s.confidence) return false;
  if (m.key !== undefined && m.key !== (s.match?.key ?? 'credential')) return false;
  if (m.credential !== undefined && !list(m.credential).some((c) => (c.startsWith('tag:') ? state.credential.tags.includes(c.slice(4)) : glob(c, s.credentialId ?? '')))) return false;
  for (const [path, cond] of Object.entries(m.fields ?? {})) if (!fieldMatches(cond, lookup(s.evidence, path))) return false;
  if (m.incident) {
    const during = state.active && m.incident.playbook.includes(state.active.playbook);
    const within = m.incident.closedWithinMinutes;
    const after = within !== undefined && state.recent.some((i) => m.incident!.playbook.includes(i.playbook) && i.closedAt >= now - within * 60_000);
    if (!during && !after) return false;
  }
  return true;
}

function fieldMatches(cond: FieldCondition, value: unknown): boolean {
  if (cond === null || typeof cond !== 'object') return value === cond;
  if (cond.exists !== undefined && cond.exists !== (value !== undefined && value !== null)) return false;
  if (cond.in && !cond.in.includes(value as never)) return false;
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  const bounds: Array<[number | undefined, (b: number) => boolean]> = [
    [cond.gte, (b) => n >= b],
    [cond.gt, (b) => n > b],
    [cond.lte, (b) => n <= b],
    [cond.lt, (b) => n < b],
  ];
  // A bound on a value that is not a number fails: an absent severity is not "below the floor".
  return bounds.every(([b, ok]) => b === undefined || (Number.isFinite(n) && ok(b)));
}

function lookup(evidence: Record<string, unknown>, path: string): unknown {
  let v: unknown = evidence;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const anyGlob = (patterns: string | string[], value: string) => list(patterns).some((p) => glob(p, value));
const globs = new Map<string, RegExp>();

/** `*` matches any run of characters; everything else is literal. */
export function glob(pattern: string, value: string): boolean {
  let re = globs.get(pattern);
  if (!re) globs.set(pattern, (re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`)));
  return re.test(value);
}

/** The longest window of the rules, in ms: how far back the caller must read signals. */
export function longestWindowMs(rules: readonly Rule[]): number {
  return Math.max(0, ...rules.map((r) => (r.window?.minutes ?? 0) * 60_000));
}

/** The longest look-back into closed incidents (cooldowns and `incident.closedWithinMinutes`), in ms. */
export function longestLookBackMs(rules: readonly Rule[]): number {
  return Math.max(0, ...rules.map((r) => Math.max(r.cooldown, r.match.incident?.closedWithinMinutes ?? 0) * 60_000));
}
