import { createHash, randomBytes } from 'node:crypto';

/** GitHub writes times as ISO 8601 without milliseconds: `YYYY-MM-DDTHH:MM:SSZ`. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function sha1Hex(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

export function randomSha(): string {
  return randomBytes(20).toString('hex');
}

export interface Account {
  login: string;
  id: number;
  type: 'User' | 'Organization';
}

export type Visibility = 'public' | 'private' | 'internal';

export interface Repo {
  id: number;
  name: string;
  owner: Account;
  visibility: Visibility;
  /** Secret scanning disabled: the alert routes answer 404. */
  secretScanning: boolean;
  createdAt: number;
  defaultBranch: string;
}

export const fullName = (r: Repo) => `${r.owner.login}/${r.name}`;

export interface GitPerson {
  name: string;
  email: string;
  /** As git records it, e.g. 2014-08-09T08:02:04+12:00; the API answers what was committed. */
  date: string;
}

export interface Commit {
  sha: string;
  repoId: number;
  author: GitPerson;
  committer: GitPerson;
  message: string;
  treeSha: string;
  parents: string[];
}

/** Where a secret was seen; the simulator renders the details (URLs) from these references. */
export type LocationSeed =
  | { type: 'commit' | 'wiki_commit'; commitSha: string; path: string; startLine?: number; endLine?: number; startColumn?: number; endColumn?: number; blobSha?: string }
  | { type: 'issue_title' | 'issue_body'; issue: number }
  | { type: 'issue_comment'; issue: number; comment: number }
  | { type: 'pull_request_title' | 'pull_request_body'; pull: number }
  | { type: 'pull_request_comment' | 'pull_request_review_comment'; pull: number; comment: number }
  | { type: 'pull_request_review'; pull: number; review: number }
  | { type: 'discussion_title' | 'discussion_body'; discussion: number }
  | { type: 'discussion_comment'; discussion: number; comment: number };

export type LocationType = LocationSeed['type'];

/** The resolutions the REST API and the fixture schema share (webhooks add pattern_deleted, pattern_edited). */
export type Resolution = 'false_positive' | 'wont_fix' | 'revoked' | 'used_in_tests';
export type Validity = 'active' | 'inactive' | 'unknown';

export interface Alert {
  repoId: number;
  number: number;
  secret: string;
  secretType: string;
  secretTypeDisplayName: string;
  /** Null for custom patterns (GitHub has no partner pattern for Bybit or Binance keys). */
  provider: string | null;
  providerSlug: string | null;
  state: 'open' | 'resolved';
  resolution: Resolution | null;
  resolvedAt: number | null;
  resolvedBy: Account | null;
  resolutionComment: string | null;
  /** GitHub checks validity for partner patterns only; custom patterns stay `unknown`. */
  validity: Validity;
  publiclyLeaked: boolean;
  multiRepo: boolean;
  assignedTo: Account | null;
  createdAt: number;
  updatedAt: number;
  locations: LocationSeed[];
}
