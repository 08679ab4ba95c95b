import type { ServerResponse } from 'node:http';

export const DOCS = 'https://docs.github.com/rest';

/**
 * An answer GitHub gives instead of the resource. Bodies are GitHub's: `message`,
 * `documentation_url` and, since 2024, `status` as a string.
 */
export class GitHubError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly documentationUrl = DOCS,
    readonly headers: Record<string, string> = {},
    readonly errors?: unknown[],
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return { message: this.message, ...(this.errors ? { errors: this.errors } : {}), documentation_url: this.documentationUrl, status: String(this.status) };
  }
}

export const errors = {
  /** No Authorization header on a route that needs one. */
  requiresAuth: () => new GitHubError(401, 'Requires authentication'),
  /** An unknown, revoked or expired token (installation tokens expire after an hour). */
  badCredentials: () => new GitHubError(401, 'Bad credentials'),
  /** Also the answer to a private resource the caller may not see: GitHub does not confirm it exists. */
  notFound: (docs = DOCS, headers: Record<string, string> = {}) => new GitHubError(404, 'Not Found', docs, headers),
  /** A fine-grained token or an App installation that can see the resource but lacks the permission. */
  notAccessible: (by: 'integration' | 'personal access token', docs: string, accepted: string) =>
    new GitHubError(403, `Resource not accessible by ${by}`, docs, { 'x-accepted-github-permissions': accepted }),
  /** "Invalid request" for a parameter of the wrong type or outside its enum (troubleshooting-the-rest-api). */
  invalidRequest: (detail: string, docs: string) => new GitHubError(422, `Invalid request.\n\n${detail}`, docs),
  validationFailed: (docs: string, errs: unknown[]) => new GitHubError(422, 'Validation Failed', docs, {}, errs),
  problemsParsingJson: (docs: string) => new GitHubError(400, 'Problems parsing JSON', docs),
  jwt: (message: string) => new GitHubError(401, message),
  userAgent: () =>
    new GitHubError(403, 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.'),
  apiVersion: (v: string) => new GitHubError(400, `API version ${v} is not supported.`, 'https://docs.github.com/rest/overview/api-versions'),
  primaryRateLimit: (userId: number | string) =>
    new GitHubError(403, `API rate limit exceeded for user ID ${userId}.`, 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits'),
  secondaryRateLimit: () =>
    new GitHubError(
      403,
      'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.',
      'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      { 'retry-after': '60' },
    ),
};

export function sendGitHub(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}
