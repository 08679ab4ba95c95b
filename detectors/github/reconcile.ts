import type { DetectorContext } from '../../src/intake/detector.js';
import type { GitHubApi, HookDelivery } from './api.js';
import type { GitHubConfig } from './config.js';
import type { AlertWork } from './delivery.js';
import { ALERT_MAX_ATTEMPTS, DELIVERY_WORK } from './route.js';

/** Each pass looks this far behind the last one: GitHub's clock and ours differ, and a listing is not a snapshot. */
const OVERLAP_MS = 5 * 60_000;
/** Redeliveries asked for in one pass at most; the alert listing finds the rest. */
const MAX_REDELIVERIES = 50;
/** A delivery that failed this many times is left alone (a wrong secret fails every time until someone fixes it). */
const MAX_ATTEMPTS_PER_DELIVERY = 5;

export interface ReconcileReport {
  at: number;
  alertsQueued: number;
  redelivered: number;
  problems: string[];
}

/**
 * GitHub never redelivers a failed delivery on its own: every few minutes, per organisation, ask it
 * to redeliver the hook's failed deliveries, and queue every open alert updated since the last pass
 * (the cursor is durable, so a restart looks back to where the last run stopped).
 */
export async function reconcile(ctx: DetectorContext<GitHubConfig>, api: GitHubApi, orgs: ReadonlyMap<string, number | undefined>, signal?: AbortSignal): Promise<ReconcileReport> {
  const started = ctx.clock.now();
  const lookback = started - ctx.config.lookbackHours * 3_600_000;
  const report: ReconcileReport = { at: started, alertsQueued: 0, redelivered: 0, problems: [] };
  for (const [org, hookId] of orgs) {
    try {
      const since = ((await ctx.state.get<number>(`alerts-since:${org}`)) ?? lookback) - OVERLAP_MS;
      for (const a of await api.openAlertsUpdatedSince(org, since, signal)) {
        if (!a.number || !a.repository) continue;
        const work: AlertWork = { via: 'reconciliation', owner: a.repository.owner.login, repo: a.repository.name, repoId: a.repository.id, number: a.number, private: a.repository.private, org, ...(a.html_url ? { alertUrl: a.html_url } : {}), ...(a.secret_type ? { secretType: a.secret_type } : {}) };
        const { created } = await ctx.work.enqueue(DELIVERY_WORK, `listed:${a.repository.id}:${a.number}:${a.updated_at ?? a.created_at}`, work, { maxAttempts: ALERT_MAX_ATTEMPTS });
        if (created) report.alertsQueued += 1;
      }
      await ctx.state.put(`alerts-since:${org}`, started);
      ctx.heard();
    } catch (err) {
      report.problems.push(`${org}: the open alerts could not be listed: ${(err as Error).message}`);
    }
    if (hookId === undefined) {
      report.problems.push(`${org}: no hook id yet (set detectors.github.organizations[].hookId, or it is learned from the first delivery), so missed deliveries are not redelivered`);
      continue;
    }
    try {
      const since = ((await ctx.state.get<number>(`deliveries-since:${hookId}`)) ?? lookback) - OVERLAP_MS;
      for (const d of failedDeliveries(await api.deliveriesSince(org, hookId, since, signal))) {
        if (report.redelivered >= MAX_REDELIVERIES) break;
        await api.redeliver(org, hookId, d.id, signal);
        report.redelivered += 1;
      }
      await ctx.state.put(`deliveries-since:${hookId}`, started);
    } catch (err) {
      report.problems.push(`${org}: missed deliveries of hook ${hookId} could not be redelivered: ${(err as Error).message}`);
    }
  }
  return report;
}

/** The latest attempt of each delivery (GUID) that never succeeded, oldest first; one that failed too often is left. */
export function failedDeliveries(deliveries: HookDelivery[]): HookDelivery[] {
  const byGuid = new Map<string, HookDelivery[]>();
  for (const d of deliveries) byGuid.set(d.guid, [...(byGuid.get(d.guid) ?? []), d]);
  const out: HookDelivery[] = [];
  for (const attempts of byGuid.values()) {
    if (attempts.some((a) => a.status_code >= 200 && a.status_code < 300)) continue;
    if (attempts.length >= MAX_ATTEMPTS_PER_DELIVERY) continue;
    out.push(attempts.reduce((a, b) => (Date.parse(b.delivered_at) > Date.parse(a.delivered_at) ? b : a)));
  }
  return out.sort((a, b) => Date.parse(a.delivered_at) - Date.parse(b.delivered_at));
}
