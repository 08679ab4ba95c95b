import type { Scrubber } from '../../src/core/scrubber.js';
import type { GitHubApi, RestLocation } from './api.js';
import type { AlertWork } from './delivery.js';

/** An alert as fetched: its state and visibility as GitHub has them now, the values to match, and the evidence (never the secret). */
export interface Examined {
  state: 'open' | 'resolved';
  visibility: 'public' | 'private' | 'internal';
  publiclyLeaked: boolean;
  validity: string;
  /** The secret as GitHub found it, and decoded when GitHub says it is base64: matched by fingerprint, never kept. */
  values: string[];
  /** When the secret was committed (the commit's author date), else when GitHub raised the alert: evidence only, a committer sets it. */
  observedAt: number;
  evidence: Record<string, unknown>;
}

/** Fetches the alert with its secret, its locations, the commit that added it and the repository's visibility now. */
export async function examine(api: GitHubApi, work: AlertWork, scrubber: Scrubber, signal?: AbortSignal): Promise<Examined> {
  const alert = await api.getAlert(work.owner, work.repo, work.number, signal);
  const values = secretValues(alert.secret, alert.is_base64_encoded === true);
  // Before anything else can print it: an error message, a log line.
  for (const v of values) scrubber.register(v);
  const [locations, repo] = await Promise.all([api.listLocations(work.owner, work.repo, work.number, signal), api.getRepo(work.owner, work.repo, signal)]);
  const first = locations.find((l) => l.type === 'commit') ?? locations[0];
  const details = (first?.details ?? {}) as { commit_sha?: string };
  const commitSha = first?.type === 'commit' || first?.type === 'wiki_commit' ? details.commit_sha : undefined;
  const commit = first?.type === 'commit' && commitSha ? await api.getCommit(work.owner, work.repo, commitSha, signal) : undefined;
  const createdAt = Date.parse(alert.created_at ?? '') || 0;
  const visibility = repo.visibility === 'public' || repo.visibility === 'internal' ? repo.visibility : repo.private ? 'private' : 'public';
  return {
    state: alert.state === 'resolved' ? 'resolved' : 'open',
    visibility,
    publiclyLeaked: alert.publicly_leaked === true,
    validity: alert.validity ?? 'unknown',
    values,
    observedAt: Date.parse(commit?.author.date ?? '') || createdAt,
    evidence: {
      repository: `${work.owner}/${work.repo}`,
      visibility,
      alertNumber: work.number,
      alertUrl: alert.html_url ?? work.alertUrl ?? null,
      secretType: alert.secret_type ?? null,
      secretTypeDisplayName: alert.secret_type_display_name ?? null,
      state: alert.state ?? null,
      resolution: alert.resolution ?? null,
      validity: alert.validity ?? 'unknown',
      publiclyLeaked: alert.publicly_leaked === true,
      alertCreatedAt: alert.created_at ?? null,
      locations: locations.length,
      location: first ? locationEvidence(first) : null,
      ...(commit ? { authorDate: commit.author.date, committerDate: commit.committer.date } : {}),
      via: work.via,
      ...(work.deliveryId ? { deliveryId: work.deliveryId, hookId: work.hookId, event: work.event, action: work.action } : {}),
    },
  };
}

/** The location's type and where it is (a commit and path, or the URL of the issue, pull request or discussion). */
function locationEvidence(l: RestLocation): Record<string, unknown> {
  const d = (l.details ?? {}) as Record<string, unknown>;
  if (l.type === 'commit' || l.type === 'wiki_commit') return { type: l.type, commitSha: d.commit_sha ?? null, path: d.path ?? null, startLine: d.start_line ?? null, commitUrl: d.commit_url ?? null };
  const url = Object.entries(d).find(([k, v]) => k.endsWith('_url') && typeof v === 'string');
  return { type: l.type ?? null, url: url?.[1] ?? null };
}

function secretValues(secret: string | null | undefined, base64: boolean): string[] {
  if (!secret) return [];
  const out = [secret];
  if (base64) {
    const decoded = Buffer.from(secret, 'base64').toString('utf8');
    if (decoded && decoded !== secret) out.push(decoded);
  }
  return out;
}
