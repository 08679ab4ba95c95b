import type { Signal } from '../core/signal.js';
import { decide, type CredentialState, type EngineSignal, type Outcome } from './evaluate.js';
import type { RulesFile, RuleTest } from './rules.js';

export interface TestResult {
  name: string;
  outcome: Outcome;
  /** Each as "field: expected X, got Y"; empty when the test passed. */
  mismatches: string[];
}

/** A fixed "now" for examples: they say minutes `ago`, never dates. */
const NOW = Date.UTC(2026, 0, 1);

/** Runs the file's `tests:` examples against its own rules. */
export function runRuleTests(file: RulesFile): TestResult[] {
  return file.tests.map((t) => {
    const { signal, state } = example(t);
    const outcome = decide(file.rules, signal, state, NOW);
    return { name: t.name, outcome, mismatches: compare(t.expect, outcome) };
  });
}

/** One line saying what the rules decided. */
export function describeOutcome(o: Outcome): string {
  switch (o.action) {
    case 'open':
      return `open ${o.decision.playbook}${o.decision.needsApproval ? ' (approval needed)' : ''}, severity ${o.decision.severity}, rule ${o.decision.rule}`;
    case 'escalate':
      return `escalate ${o.from} to ${o.decision.playbook}${o.decision.needsApproval ? ' (approval needed)' : ''}, rule ${o.decision.rule}`;
    case 'attach':
      return `attach, rule ${o.rule ?? '(none)'}: ${o.reason}`;
    case 'alert':
      return `alert (${o.severity}), rule ${o.rule}`;
    case 'ignore':
      return `ignore, rule ${o.rule ?? '(none)'}: ${o.reason}`;
  }
}

function example(t: RuleTest): { signal: EngineSignal; state: CredentialState } {
  const signals: EngineSignal[] = t.signals.map((s, i) => ({
    id: `${t.name}#${i + 1}`,
    kind: s.kind,
    source: s.source,
    confidence: s.confidence,
    credentialId: s.credential,
    evidence: s.evidence,
    receivedAt: NOW - s.ago * 60_000,
    match: { key: s.key, field: 'api_key', revoked: s.revoked } satisfies Signal['match'],
  }));
  const signal = signals.at(-1)!;
  const inc = t.incident;
  const state: CredentialState = {
    credential: { id: signal.credentialId!, tags: t.tags },
    window: signals.slice(0, -1),
    active: inc && inc.active ? { id: 'incident-under-test', playbook: inc.playbook, changingKey: inc.changingKey } : null,
    recent: inc && !inc.active ? [{ id: 'incident-under-test', playbook: inc.playbook, closedAt: NOW - (inc.closedMinutesAgo ?? 0) * 60_000 }] : [],
    paused: t.paused,
  };
  return { signal, state };
}

function compare(expect: RuleTest['expect'], o: Outcome): string[] {
  const out: string[] = [];
  const got = {
    action: o.action,
    rule: o.action === 'open' || o.action === 'escalate' ? o.decision.rule : o.rule,
    playbook: o.action === 'open' || o.action === 'escalate' ? o.decision.playbook : undefined,
    approval: o.action === 'open' || o.action === 'escalate' ? o.decision.needsApproval : undefined,
    severity: o.action === 'open' || o.action === 'escalate' ? o.decision.severity : o.action === 'alert' ? o.severity : undefined,
  };
  for (const key of Object.keys(expect) as (keyof typeof got)[]) {
    if (expect[key] !== got[key]) out.push(`expect.${key}: expected ${JSON.stringify(expect[key])}, got ${JSON.stringify(got[key] ?? null)}`);
  }
  return out;
}
