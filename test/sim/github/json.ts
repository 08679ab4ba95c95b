import type { components } from '@octokit/openapi-types';
import { type Account, type Alert, type Commit, fullName, isoTime, type LocationSeed, type Repo, sha1Hex } from './model.js';

type Schemas = components['schemas'];
export type RestAlert = Schemas['secret-scanning-alert'];
export type OrgAlert = Schemas['organization-secret-scanning-alert'];
export type RestLocation = Schemas['secret-scanning-location'];
export type GitCommitJson = Schemas['git-commit'];
export type SimpleUser = Schemas['simple-user'];
export type SimpleRepository = Schemas['simple-repository'];

/** Where the API and the web UI live: the simulator's own URL for the API, as on GitHub Enterprise Server. */
export interface Urls {
  api: string;
  html: string;
}

/** GitHub's legacy global node ids: base64 of "<len>:<Type><id>" (as in the fixtures' payloads). */
function nodeId(type: string, id: number): string {
  return Buffer.from(`0${type.length}:${type}${id}`).toString('base64');
}

export function userJson(a: Account, u: Urls): SimpleUser {
  const api = `${u.api}/users/${a.login}`;
  return {
    login: a.login,
    id: a.id,
    node_id: nodeId(a.type, a.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${a.id}?v=4`,
    gravatar_id: '',
    url: api,
    html_url: `${u.html}/${a.login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: a.type,
    site_admin: false,
  };
}

/** The organization object of webhook payloads (fixture ping.with-organization.payload.json). */
export function orgJson(org: Account, u: Urls) {
  const api = `${u.api}/orgs/${org.login}`;
  return {
    login: org.login,
    id: org.id,
    node_id: nodeId('Organization', org.id),
    url: api,
    repos_url: `${api}/repos`,
    events_url: `${api}/events`,
    hooks_url: `${api}/hooks`,
    issues_url: `${api}/issues`,
    members_url: `${api}/members{/member}`,
    public_members_url: `${api}/public_members{/member}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${org.id}?v=4`,
    description: '',
  };
}

const REPO_URLS: [string, string][] = [
  ['forks_url', '/forks'], ['keys_url', '/keys{/key_id}'], ['collaborators_url', '/collaborators{/collaborator}'], ['teams_url', '/teams'],
  ['hooks_url', '/hooks'], ['issue_events_url', '/issues/events{/number}'], ['events_url', '/events'], ['assignees_url', '/assignees{/user}'],
  ['branches_url', '/branches{/branch}'], ['tags_url', '/tags'], ['blobs_url', '/git/blobs{/sha}'], ['git_tags_url', '/git/tags{/sha}'],
  ['git_refs_url', '/git/refs{/sha}'], ['trees_url', '/git/trees{/sha}'], ['statuses_url', '/statuses/{sha}'], ['languages_url', '/languages'],
  ['stargazers_url', '/stargazers'], ['contributors_url', '/contributors'], ['subscribers_url', '/subscribers'], ['subscription_url', '/subscription'],
  ['commits_url', '/commits{/sha}'], ['git_commits_url', '/git/commits{/sha}'], ['comments_url', '/comments{/number}'],
  ['issue_comment_url', '/issues/comments{/number}'], ['contents_url', '/contents/{+path}'], ['compare_url', '/compare/{base}...{head}'],
  ['merges_url', '/merges'], ['archive_url', '/{archive_format}{/ref}'], ['downloads_url', '/downloads'], ['issues_url', '/issues{/number}'],
  ['pulls_url', '/pulls{/number}'], ['milestones_url', '/milestones{/number}'], ['notifications_url', '/notifications{?since,all,participating}'],
  ['labels_url', '/labels{/name}'], ['releases_url', '/releases{/id}'], ['deployments_url', '/deployments'],
];

export function simpleRepoJson(r: Repo, u: Urls): SimpleRepository {
  const api = `${u.api}/repos/${fullName(r)}`;
  return {
    id: r.id,
    node_id: nodeId('Repository', r.id),
    name: r.name,
    full_name: fullName(r),
    private: r.visibility !== 'public',
    owner: userJson(r.owner, u),
    html_url: `${u.html}/${fullName(r)}`,
    description: null,
    fork: false,
    url: api,
    ...(Object.fromEntries(REPO_URLS.map(([k, suffix]) => [k, api + suffix])) as Record<(typeof REPO_URLS)[number][0], string>),
  } as SimpleRepository;
}

/** The repository object of GET /repos/{owner}/{repo} and of webhook payloads (the fixtures' field set). */
export function repoJson(r: Repo, u: Urls) {
  const html = `${u.html}/${fullName(r)}`;
  const host = new URL(u.html).host;
  const at = isoTime(r.createdAt);
  return {
    ...simpleRepoJson(r, u),
    created_at: at,
    updated_at: at,
    pushed_at: at,
    git_url: `git://${host}/${fullName(r)}.git`,
    ssh_url: `git@${host}:${fullName(r)}.git`,
    clone_url: `${html}.git`,
    svn_url: html,
    homepage: null,
    size: 0,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    has_issues: true,
    has_projects: true,
    has_downloads: true,
    has_wiki: true,
    has_pages: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: 0,
    license: null,
    forks: 0,
    open_issues: 0,
    watchers: 0,
    default_branch: r.defaultBranch,
    is_template: false,
    topics: [] as string[],
    visibility: r.visibility,
    web_commit_signoff_required: false,
    custom_properties: {},
  };
}

export function alertUrls(r: Repo, number: number, u: Urls) {
  const url = `${u.api}/repos/${fullName(r)}/secret-scanning/alerts/${number}`;
  return { url, html_url: `${u.html}/${fullName(r)}/security/secret-scanning/${number}`, locations_url: `${url}/locations` };
}

export function commitUrl(r: Repo, sha: string, u: Urls): string {
  return `${u.api}/repos/${fullName(r)}/git/commits/${sha}`;
}

/**
 * A location's details, with the URL fields each type has (REST "secret-scanning-location"). The
 * optional `html_url` of the current API is left out so that they also match the fixture schema
 * (octokit/webhooks common/secret-scanning-location, additionalProperties: false).
 */
export function locationJson(loc: LocationSeed, r: Repo, u: Urls): RestLocation {
  const api = `${u.api}/repos/${fullName(r)}`;
  const html = `${u.html}/${fullName(r)}`;
  switch (loc.type) {
    case 'commit':
    case 'wiki_commit': {
      const blobSha = loc.blobSha ?? sha1Hex(`${loc.commitSha}:${loc.path}`);
      const lines = {
        path: loc.path,
        start_line: loc.startLine ?? 1,
        end_line: loc.endLine ?? loc.startLine ?? 1,
        start_column: loc.startColumn ?? 1,
        end_column: loc.endColumn ?? 41,
        blob_sha: blobSha,
      };
      if (loc.type === 'commit') {
        return { type: 'commit', details: { ...lines, blob_url: `${api}/git/blobs/${blobSha}`, commit_sha: loc.commitSha, commit_url: commitUrl(r, loc.commitSha, u) } };
      }
      return { type: 'wiki_commit', details: { ...lines, page_url: `${html}/wiki/${loc.path.replace(/^\/|\.md$/g, '')}/${loc.commitSha}`, commit_sha: loc.commitSha, commit_url: `${html}/wiki/_compare/${loc.commitSha}` } };
    }
    case 'issue_title':
      return { type: loc.type, details: { issue_title_url: `${api}/issues/${loc.issue}` } };
    case 'issue_body':
      return { type: loc.type, details: { issue_body_url: `${api}/issues/${loc.issue}` } };
    case 'issue_comment':
      return { type: loc.type, details: { issue_comment_url: `${api}/issues/comments/${loc.comment}` } };
    case 'pull_request_title':
      return { type: loc.type, details: { pull_request_title_url: `${api}/pulls/${loc.pull}` } };
    case 'pull_request_body':
      return { type: loc.type, details: { pull_request_body_url: `${api}/pulls/${loc.pull}` } };
    case 'pull_request_comment':
      return { type: loc.type, details: { pull_request_comment_url: `${api}/issues/comments/${loc.comment}` } };
    case 'pull_request_review_comment':
      return { type: loc.type, details: { pull_request_review_comment_url: `${api}/pulls/comments/${loc.comment}` } };
    case 'pull_request_review':
      return { type: loc.type, details: { pull_request_review_url: `${api}/pulls/${loc.pull}/reviews/${loc.review}` } };
    case 'discussion_title':
      return { type: loc.type, details: { discussion_title_url: `${html}/discussions/${loc.discussion}` } };
    case 'discussion_body':
      return { type: loc.type, details: { discussion_body_url: `${html}/discussions/${loc.discussion}#discussion-${loc.discussion}` } };
    case 'discussion_comment':
      return { type: loc.type, details: { discussion_comment_url: `${html}/discussions/${loc.discussion}#discussioncomment-${loc.comment}` } };
  }
}

/** The alert fields the REST answers and the webhook payloads share. */
function alertCore(a: Alert, r: Repo, u: Urls) {
  return {
    number: a.number,
    created_at: isoTime(a.createdAt),
    updated_at: isoTime(a.updatedAt),
    ...alertUrls(r, a.number, u),
    state: a.state,
    resolution: a.resolution,
    resolved_at: a.resolvedAt === null ? null : isoTime(a.resolvedAt),
    resolved_by: a.resolvedBy && userJson(a.resolvedBy, u),
    resolution_comment: a.resolutionComment,
    secret_type: a.secretType,
    secret_type_display_name: a.secretTypeDisplayName,
    validity: a.validity,
    push_protection_bypassed: false,
    push_protection_bypassed_by: null,
    push_protection_bypassed_at: null,
    publicly_leaked: a.publiclyLeaked,
    multi_repo: a.multiRepo,
    assigned_to: a.assignedTo && userJson(a.assignedTo, u),
  };
}

/** GET .../secret-scanning/alerts/{n}: the secret included unless `hide_secret=true`. */
export function restAlertJson(a: Alert, r: Repo, u: Urls, hideSecret: boolean): RestAlert {
  const first = a.locations[0];
  return {
    ...alertCore(a, r, u),
    provider: a.provider,
    provider_slug: a.providerSlug,
    ...(hideSecret ? {} : { secret: a.secret }),
    push_protection_bypass_request_reviewer: null,
    push_protection_bypass_request_reviewer_comment: null,
    push_protection_bypass_request_comment: null,
    push_protection_bypass_request_html_url: null,
    is_base64_encoded: false,
    first_location_detected: first ? (locationJson(first, r, u).details ?? null) : null,
    has_more_locations: a.locations.length > 1,
  };
}

export function orgAlertJson(a: Alert, r: Repo, u: Urls, hideSecret: boolean): OrgAlert {
  return { ...restAlertJson(a, r, u, hideSecret), repository: simpleRepoJson(r, u) };
}

/**
 * The alert in webhook payloads: no `secret` (the fixture notes: the webhook alert has none; only
 * the REST answer carries it) and no provider fields.
 */
export function webhookAlertJson(a: Alert, r: Repo, u: Urls) {
  return alertCore(a, r, u);
}

export function commitJson(c: Commit, r: Repo, u: Urls): GitCommitJson {
  const api = `${u.api}/repos/${fullName(r)}/git`;
  return {
    sha: c.sha,
    node_id: Buffer.from(`04:Commit${r.id}:${c.sha}`).toString('base64'),
    url: `${api}/commits/${c.sha}`,
    html_url: `${u.html}/${fullName(r)}/commit/${c.sha}`,
    author: c.author,
    committer: c.committer,
    tree: { sha: c.treeSha, url: `${api}/trees/${c.treeSha}` },
    message: c.message,
    parents: c.parents.map((sha) => ({ sha, url: `${api}/commits/${sha}`, html_url: `${u.html}/${fullName(r)}/commit/${sha}` })),
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
  };
}
