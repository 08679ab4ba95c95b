import type { Confidence } from './signal.js';

export const PLAYBOOKS = ['break-glass', 'emergency', 'scheduled', 'offboarding', 'lockdown', 'rollback'] as const;
export type PlaybookName = (typeof PLAYBOOKS)[number];

export const STEPS = ['assess', 'preflight', 'freeze', 'revoke', 'cancel', 'rotate', 'promote', 'restore', 'verify', 'monitor', 'notify'] as const;
export type StepName = (typeof STEPS)[number];

/** How loudly a decision is told: `page` wakes a person. */
export const SEVERITIES = ['info', 'warning', 'critical', 'page'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Which playbook to run for which credential, as the engine decided it. */
export interface Decision {
  credentialId: string;
  playbook: PlaybookName;
  needsApproval: boolean;
  confidence: Confidence;
  /** The rule that made the decision. */
  rule: string;
  reason: string;
  severity: Severity;
  /** The signals behind it: the one decided and those its rule's window counted. */
  signalIds: string[];
}

export const ACTIVE_STATES = ['open', 'running', 'paused', 'awaiting_approval', 'waiting_for_human', 'needs_attention'] as const;
export const FINAL_STATES = ['resolved', 'aborted', 'failed'] as const;
export type IncidentState = (typeof ACTIVE_STATES)[number] | (typeof FINAL_STATES)[number];

export function isActive(state: IncidentState): boolean {
  return (ACTIVE_STATES as readonly string[]).includes(state);
}

/** What the incident acts on, read while the key still works; never re-read from AWSCURRENT. */
export interface IncidentTarget {
  fingerprint: string;
  keyHint: string;
  permissions?: Record<string, string[]>;
  ips?: string[];
  versionId?: string;
  /** Why permissions and IPs are missing: the exchange refused to describe the key. */
  describeError?: string;
}

export interface Incident {
  id: string;
  credentialId: string;
  state: IncidentState;
  playbook: PlaybookName;
  dryRun: boolean;
  target: IncidentTarget | null;
  reason: string;
  openedAt: number;
  updatedAt: number;
  closedAt: number | null;
}

export type StepStatus = 'running' | 'succeeded' | 'failed' | 'skipped';

/** One attempt of one step; (incidentId, step, attempt) is its idempotency key. */
export interface StepRun {
  incidentId: string;
  step: string;
  attempt: number;
  status: StepStatus;
  startedAt: number;
  finishedAt: number | null;
  outputs: Record<string, unknown>;
  error: string | null;
}

/** Who did something: a component of LeakGuard or a person (via the API). */
export type Actor = `system:${string}` | `user:${string}`;

export interface TimelineEntryInput {
  incidentId: string;
  at: number;
  actor: Actor;
  /** dotted, e.g. step.started, step.finished, incident.opened */
  type: string;
  message: string;
  data: Record<string, unknown>;
}

export interface TimelineEntry extends TimelineEntryInput {
  seq: number;
}
