import type { Hook } from './hooks.js';
import { type Account, type Alert, isoTime, type LocationSeed, type Repo } from './model.js';
import { locationJson, orgJson, repoJson, type Urls, userJson, webhookAlertJson } from './json.js';

/** The `secret_scanning_alert` actions GitHub documents (fixture webhook-delivery-notes.txt, section 3). */
export const ALERT_ACTIONS = ['created', 'reopened', 'resolved', 'publicly_leaked', 'validated', 'assigned', 'unassigned'] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];

export interface PayloadContext {
  urls: Urls;
  repo: Repo;
  /** Who did it; GitHub's scanner when nobody did. */
  sender: Account;
}

/**
 * A `secret_scanning_alert` payload: action, alert (without the secret), repository, organization
 * and sender. `created` carries no sender, as the fixture schema for it has none (the docs make
 * sender optional on every action); `assigned`/`unassigned` name the assignee.
 */
export function alertPayload(action: AlertAction, alert: Alert, ctx: PayloadContext, assignee?: Account) {
  return {
    action,
    alert: webhookAlertJson(alert, ctx.repo, ctx.urls),
    ...(assignee ? { assignee: userJson(assignee, ctx.urls) } : {}),
    repository: repoJson(ctx.repo, ctx.urls),
    organization: orgJson(ctx.repo.owner, ctx.urls),
    ...(action === 'created' ? {} : { sender: userJson(ctx.sender, ctx.urls) }),
  };
}

/** `secret_scanning_alert_location` has one action, `created`: the new location and its alert. */
export function locationPayload(alert: Alert, location: LocationSeed, ctx: PayloadContext) {
  return {
    action: 'created' as const,
    alert: webhookAlertJson(alert, ctx.repo, ctx.urls),
    location: locationJson(location, ctx.repo, ctx.urls),
    repository: repoJson(ctx.repo, ctx.urls),
    organization: orgJson(ctx.repo.owner, ctx.urls),
    sender: userJson(ctx.sender, ctx.urls),
  };
}

/** The hook object of a ping (fixture ping.with-organization.payload.json); the secret is masked. */
export function hookJson(h: Hook, urls: Urls) {
  const url = `${urls.api}/orgs/${h.org.login}/hooks/${h.id}`;
  return {
    type: 'Organization',
    id: h.id,
    name: 'web',
    active: h.active,
    events: h.events,
    config: { content_type: h.contentType, insecure_ssl: '0', ...(h.secret ? { secret: '********' } : {}), url: h.url },
    updated_at: isoTime(h.createdAt),
    created_at: isoTime(h.createdAt),
    url,
    ping_url: `${url}/pings`,
    deliveries_url: `${url}/deliveries`,
  };
}

export function pingPayload(h: Hook, urls: Urls, sender: Account) {
  return { zen: 'Anything added dilutes everything else.', hook_id: h.id, hook: hookJson(h, urls), organization: orgJson(h.org, urls), sender: userJson(sender, urls) };
}
