import type { Incident, PlaybookName, StepRun, TimelineEntry } from '../core/incident.js';
import type { Signal } from '../core/signal.js';

/** What a post-mortem is rendered from: the incident's own records, nothing else. */
export interface IncidentRecord {
  incident: Incident;
  steps: StepRun[];
  timeline: TimelineEntry[];
  signals: Signal[];
  /** The plan's step budgets (timeoutMs), by step id, when the plan is known. */
  budgets?: Record<string, number | undefined>;
}

/** The runbook's targets: break-glass contained in 2 minutes, an emergency rotation done in 5. */
export const TARGETS: Partial<Record<PlaybookName, { containMs?: number; recoverMs?: number }>> = {
  'break-glass': { containMs: 2 * 60_000 },
  emergency: { recoverMs: 5 * 60_000 },
};

/** The runbook's questions after a leak (Troubleshooting, "Unauthorized Trades After Rotation"). */
export const FOLLOW_UP = [
  { id: 'access', text: 'Who had access to the key? (the credential’s people; offboard anyone who should not have)' },
  { id: 'cause', text: 'How was the key leaked? (the signals below: repository, commit, reader)' },
  { id: 'password', text: 'Change the exchange account password' },
  { id: '2fa', text: 'Check 2FA on the exchange account' },
  { id: 'ip-whitelist', text: 'Check the IP whitelist of every key of the account' },
] as const;

export interface Milestone {
  at: number;
  /** Where the time comes from; `reported` ones are the source's word (a commit date can be forged). */
  from: string;
  reported?: boolean;
}

export interface PostMortem {
  incident: Pick<Incident, 'id' | 'credentialId' | 'playbook' | 'state' | 'dryRun' | 'reason' | 'openedAt' | 'closedAt'> & { keyHint: string | null; versionId: string | null };
  summary: string;
  milestones: Partial<Record<'leaked' | 'detected' | 'opened' | 'acknowledged' | 'contained' | 'recovered' | 'resolved', Milestone>>;
  /** Each from detection (the first signal received, else the incident's opening); null when the milestone was not reached. */
  durations: { detectMs: number | null; containMs: number | null; recoverMs: number | null };
  targets: { containMs: number | null; recoverMs: number | null };
  steps: { id: string; attempts: number; status: string; startedAt: number; finishedAt: number | null; durationMs: number | null; budgetMs: number | null; error: string | null }[];
  signals: { kind: string; source: string; confidence: string; observedAt: number; receivedAt: number; evidence: Record<string, unknown> }[];
  overrides: { at: number; actor: string; type: string; message: string }[];
  orders: { cancelled: number; positionsAtFreeze: string | null; positionsAtVerify: string | null };
  followUp: { id: string; text: string }[];
}

/** When each succeeded step of a responder ended, from the timeline (step ids map to responders through step.started). */
function finishedAt(timeline: TimelineEntry[], responder: string): number[] {
  const ids = new Set(timeline.filter((e) => e.type === 'step.started' && e.data.responder === responder).map((e) => e.data.step));
  return timeline.filter((e) => e.type === 'step.finished' && e.data.status === 'succeeded' && ids.has(e.data.step)).map((e) => e.at);
}

/**
 * The incident as a story (issue 17): when it leaked (as the source reports it), was detected,
 * acknowledged, contained (key revoked and bot frozen) and recovered (verify passed), against the
 * runbook's targets (milestones from the timeline); every step with its duration and budget (from
 * the journal); signals, overrides, orders. Pure:
 * every figure comes from the records given, so the same records always give the same text.
 */
export function postMortem(r: IncidentRecord): PostMortem {
  const { incident, steps, timeline, signals } = r;
  const sorted = [...signals].sort((a, b) => a.receivedAt - b.receivedAt);
  const first = sorted[0];
  const milestones: PostMortem['milestones'] = {};
  const leak = leakTime(sorted);
  if (leak) milestones.leaked = leak;
  if (first) milestones.detected = { at: first.receivedAt, from: `${first.kind} received` };
  milestones.opened = { at: incident.openedAt, from: 'incident opened' };
  const human = timeline.find((e) => e.actor.startsWith('user:'));
  if (human) milestones.acknowledged = { at: human.at, from: `${human.actor}: ${human.type}` };
  // Contained: the key proved revoked, and (where the playbook freezes) no pod left; the later of the two.
  const revoked = finishedAt(timeline, 'revoke');
  const frozen = finishedAt(timeline, 'freeze');
  const freezes = timeline.some((e) => e.type === 'step.started' && e.data.responder === 'freeze');
  if (revoked.length && (!freezes || frozen.length)) milestones.contained = { at: Math.max(Math.min(...revoked), ...(freezes ? [Math.min(...frozen)] : [])), from: freezes ? 'key revoked and bot frozen' : 'key revoked' };
  const verified = finishedAt(timeline, 'verify');
  if (verified.length) milestones.recovered = { at: Math.max(...verified), from: 'verify passed' };
  const closed = incident.closedAt === null ? undefined : timeline.find((e) => e.type === `incident.${incident.state}`);
  if (incident.closedAt !== null) milestones.resolved = { at: closed?.at ?? incident.closedAt, from: `incident ${incident.state}` };

  const start = milestones.detected?.at ?? incident.openedAt;
  const since = (m: Milestone | undefined) => (m ? m.at - start : null);
  const target = TARGETS[incident.playbook] ?? {};
  const byStep = new Map<string, StepRun[]>();
  for (const s of steps) byStep.set(s.step, [...(byStep.get(s.step) ?? []), s]);
  const positions = (type: string) => timeline.find((e) => e.type === type)?.message ?? null;

  return {
    incident: {
      id: incident.id,
      credentialId: incident.credentialId,
      playbook: incident.playbook,
      state: incident.state,
      dryRun: incident.dryRun,
      reason: incident.reason,
      openedAt: incident.openedAt,
      closedAt: incident.closedAt,
      keyHint: incident.target?.keyHint ?? null,
      versionId: incident.target?.versionId ?? null,
    },
    summary: `${incident.dryRun ? 'Dry run of ' : ''}${incident.playbook} for ${incident.credentialId} (${incident.reason}): ${incident.state}${milestones.contained ? `, contained ${seconds(since(milestones.contained)!)} after detection` : ''}${milestones.recovered ? `, recovered after ${seconds(since(milestones.recovered)!)}` : ''}.`,
    milestones,
    durations: { detectMs: leak && first ? first.receivedAt - leak.at : null, containMs: since(milestones.contained), recoverMs: since(milestones.recovered) },
    targets: { containMs: target.containMs ?? null, recoverMs: target.recoverMs ?? null },
    steps: [...byStep.entries()].map(([id, runs]) => {
      const last = runs.reduce((a, b) => (b.attempt > a.attempt ? b : a));
      const startedAt = Math.min(...runs.map((x) => x.startedAt));
      return { id, attempts: runs.length, status: last.status, startedAt, finishedAt: last.finishedAt, durationMs: last.finishedAt === null ? null : last.finishedAt - startedAt, budgetMs: r.budgets?.[id] ?? null, error: last.error };
    }),
    signals: sorted.map((s) => ({ kind: s.kind, source: s.source, confidence: s.confidence, observedAt: s.observedAt, receivedAt: s.receivedAt, evidence: s.evidence })),
    overrides: timeline.filter((e) => e.actor.startsWith('user:')).map((e) => ({ at: e.at, actor: e.actor, type: e.type, message: e.message })),
    orders: {
      cancelled: steps.filter((s) => s.status === 'succeeded' && typeof s.outputs.cancelled === 'number').reduce((n, s) => n + (s.outputs.cancelled as number), 0),
      positionsAtFreeze: positions('revoke.positions') ?? positions('freeze.positions'),
      positionsAtVerify: positions('verify.positions'),
    },
    followUp: FOLLOW_UP.map((f) => ({ ...f })),
  };
}

/** The earliest time a source reports for the leak itself (a commit's author date), else the first signal's observedAt. */
function leakTime(signals: Signal[]): Milestone | undefined {
  const dated = signals.flatMap((s) => {
    const author = typeof s.evidence.authorDate === 'string' ? Date.parse(s.evidence.authorDate) : NaN;
    return Number.isFinite(author) ? [{ at: author, from: `commit author date reported by ${s.source}`, reported: true }] : [{ at: s.observedAt, from: `observed at, reported by ${s.source} (${s.kind})`, reported: true }];
  });
  return dated.sort((a, b) => a.at - b.at)[0];
}

export function seconds(ms: number): string {
  const s = Math.round((ms % 60_000) / 1000);
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min${s ? ` ${s} s` : ''}`;
}
