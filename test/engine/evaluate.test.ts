import t from 'tap';
import { decide, glob, type CredentialState, type EngineSignal, type Outcome } from '../../src/engine/evaluate.js';
import { parseRules } from '../../src/engine/parse.js';
import type { Rule } from '../../src/engine/rules.js';

// Table-driven: each row is rules (YAML, defaults applied by the one schema), the signals before,
// the state read from the store, and what must come out of the last signal.

const NOW = 1_800_000_000_000;
const MIN = 60_000;

const rules = (yaml: string): Rule[] => parseRules(`rules:\n${yaml}`, 'table.yaml').rules;

let n = 0;
function sig(over: Partial<EngineSignal> & { ago?: number } = {}): EngineSignal {
  const { ago = 0, ...rest } = over;
  return { id: `s${++n}`, kind: 'github.secret.public_leak', source: 'github', confidence: 'confirmed', credentialId: 'cred-a', evidence: {}, receivedAt: NOW - ago * MIN, match: { key: 'credential', field: 'api_key', revoked: false }, ...rest };
}

function state(over: Partial<CredentialState> = {}): CredentialState {
  return { credential: { id: 'cred-a', tags: ['prod'] }, window: [], active: null, recent: [], paused: false, ...over };
}

/** The outcome in one comparable line: action, rule, playbook (or incident), approval. */
function line(o: Outcome): string {
  switch (o.action) {
    case 'open':
      return `open ${o.decision.playbook} by ${o.decision.rule}${o.decision.needsApproval ? ' approval' : ''} ${o.decision.severity}`;
    case 'escalate':
      return `escalate ${o.incidentId} ${o.from}->${o.decision.playbook} by ${o.decision.rule}${o.decision.needsApproval ? ' approval' : ''}`;
    case 'attach':
      return `attach ${o.incidentId} by ${o.rule ?? '-'}`;
    case 'alert':
      return `alert ${o.severity} by ${o.rule}`;
    case 'ignore':
      return `ignore by ${o.rule ?? '-'}`;
  }
}

const BG = `  - { name: leak, match: { kind: "github.secret.*", confidence: confirmed }, playbook: break-glass, cooldown: 30 }\n`;

const table: Array<{ name: string; rules: string; signal: EngineSignal; state?: Partial<CredentialState>; expect: string }> = [
  // matching
  { name: 'kind wildcard matches', rules: BG, signal: sig(), expect: 'open break-glass by leak critical' },
  { name: 'kind wildcard does not match another prefix', rules: BG, signal: sig({ kind: 'gitlab.secret.leak' }), expect: 'ignore by -' },
  { name: 'confidence must match', rules: BG, signal: sig({ confidence: 'suspected' }), expect: 'ignore by -' },
  { name: 'a list of kinds', rules: `  - { name: r, match: { kind: [a.b, "c.*"] }, playbook: emergency }\n`, signal: sig({ kind: 'c.d.e' }), expect: 'open emergency by r critical' },
  { name: 'source', rules: `  - { name: r, match: { source: eventbridge }, playbook: emergency }\n`, signal: sig({ source: 'github' }), expect: 'ignore by -' },
  { name: 'credential by id wildcard', rules: `  - { name: r, match: { credential: "cred-*" }, playbook: emergency }\n`, signal: sig(), expect: 'open emergency by r critical' },
  { name: 'credential by tag', rules: `  - { name: r, match: { credential: tag:prod }, playbook: emergency }\n`, signal: sig(), expect: 'open emergency by r critical' },
  { name: 'credential by a tag it lacks', rules: `  - { name: r, match: { credential: tag:staging }, playbook: emergency }\n`, signal: sig(), expect: 'ignore by -' },
  { name: 'master key', rules: `  - { name: m, match: { key: master }, playbook: lockdown, severity: page }\n${BG}`, signal: sig({ match: { key: 'master', field: 'api_key', revoked: false } }), expect: 'open lockdown by m page' },
  { name: 'evidence field equal', rules: `  - { name: r, match: { fields: { visibility: public } }, playbook: emergency }\n`, signal: sig({ evidence: { visibility: 'public' } }), expect: 'open emergency by r critical' },
  { name: 'evidence field nested and in a list', rules: `  - { name: r, match: { fields: { location.type: { in: [commit, wiki] } } }, playbook: emergency }\n`, signal: sig({ evidence: { location: { type: 'wiki' } } }), expect: 'open emergency by r critical' },
  { name: 'evidence field absent', rules: `  - { name: r, match: { fields: { x: { exists: false } } }, playbook: emergency }\n`, signal: sig(), expect: 'open emergency by r critical' },
  // severity floors
  ...[
    [8.5, 'open emergency by hi critical'],
    [7, 'open emergency by hi critical'],
    [6.9, 'alert warning by lo'],
    ['3', 'alert warning by lo'],
    [undefined, 'ignore by -'],
  ].map(([severity, expect]) => ({
    name: `GuardDuty severity ${String(severity)}`,
    rules: `  - { name: hi, match: { kind: "*.guardduty.finding", fields: { severity: { gte: 7 } } }, playbook: emergency }\n  - { name: lo, match: { kind: "*.guardduty.finding", fields: { severity: { lt: 7 } } }, playbook: alert, severity: warning }\n`,
    signal: sig({ kind: 'eventbridge.guardduty.finding', evidence: severity === undefined ? {} : { severity } }),
    expect: expect as string,
  })),
  // ordering: the strongest wins whatever its place, the first of equals
  { name: 'strongest wins over earlier', rules: `  - { name: weak, match: {}, playbook: emergency }\n  - { name: strong, match: {}, playbook: lockdown }\n`, signal: sig(), expect: 'open lockdown by strong critical' },
  { name: 'first of equals', rules: `  - { name: first, match: {}, playbook: emergency }\n  - { name: second, match: {}, playbook: emergency }\n`, signal: sig(), expect: 'open emergency by first critical' },
  { name: 'a playbook beats an alert', rules: `  - { name: a, match: {}, playbook: alert }\n  - { name: b, match: {}, playbook: scheduled }\n`, signal: sig(), expect: 'open scheduled by b critical' },
  { name: 'none records only', rules: `  - { name: quiet, match: {}, playbook: none }\n`, signal: sig(), expect: 'ignore by quiet' },
  // windows and distinct sources
  ...(() => {
    const W = `  - { name: two, match: { confidence: suspected }, window: { minutes: 10, count: 2, distinctSources: 2 }, playbook: break-glass }\n  - { name: one, match: { confidence: suspected }, playbook: emergency }\n`;
    const s = (source: string, ago: number) => sig({ confidence: 'suspected', source, ago });
    return [
      { name: 'two sources within the window', rules: W, signal: s('auth-errors', 0), state: { window: [s('github', 9.9)] }, expect: 'open break-glass by two critical' },
      { name: 'two sources, one outside the window', rules: W, signal: s('auth-errors', 0), state: { window: [s('github', 10.1)] }, expect: 'open emergency by one critical' },
      { name: 'two signals of one source', rules: W, signal: s('github', 0), state: { window: [s('github', 1)] }, expect: 'open emergency by one critical' },
      { name: 'the other signal must match the rule too', rules: W, signal: s('auth-errors', 0), state: { window: [sig({ source: 'github', ago: 1 })] }, expect: 'open emergency by one critical' },
      { name: 'another credential’s signal does not count', rules: W, signal: s('auth-errors', 0), state: { window: [{ ...s('github', 1), credentialId: 'cred-b' }] }, expect: 'open emergency by one critical' },
      { name: 'a signal received just after counts (stored by another replica before this one was decided)', rules: W, signal: s('auth-errors', 0), state: { window: [{ ...s('github', 0), receivedAt: NOW + 1 }] }, expect: 'open break-glass by two critical' },
      { name: 'a signal received more than the window after does not count', rules: W, signal: s('auth-errors', 0), state: { window: [{ ...s('github', 0), receivedAt: NOW + 10 * MIN + 1 }] }, expect: 'open emergency by one critical' },
      { name: 'correlation escalates the running emergency', rules: W, signal: s('auth-errors', 0), state: { window: [s('github', 2)], active: { id: 'i1', playbook: 'emergency', changingKey: false } }, expect: 'escalate i1 emergency->break-glass by two' },
    ];
  })(),
  // the running incident
  { name: 'a duplicate attaches', rules: BG, signal: sig(), state: { active: { id: 'i1', playbook: 'break-glass', changingKey: false } }, expect: 'attach i1 by leak' },
  { name: 'weaker attaches', rules: BG, signal: sig(), state: { active: { id: 'i1', playbook: 'lockdown', changingKey: false } }, expect: 'attach i1 by leak' },
  { name: 'stronger escalates a scheduled rotation', rules: BG, signal: sig(), state: { active: { id: 'i1', playbook: 'scheduled', changingKey: true } }, expect: 'escalate i1 scheduled->break-glass by leak' },
  { name: 'a suspected signal during our own key change attaches', rules: `  - { name: spike, match: { kind: "auth-errors.*" }, playbook: emergency }\n`, signal: sig({ kind: 'auth-errors.spike', confidence: 'suspected' }), state: { active: { id: 'i1', playbook: 'scheduled', changingKey: true } }, expect: 'attach i1 by spike' },
  { name: 'the same signal before the key change escalates', rules: `  - { name: spike, match: { kind: "auth-errors.*" }, playbook: emergency }\n`, signal: sig({ kind: 'auth-errors.spike', confidence: 'suspected' }), state: { active: { id: 'i1', playbook: 'scheduled', changingKey: false } }, expect: 'escalate i1 scheduled->emergency by spike' },
  { name: 'an alert with a running incident is an alert about it', rules: `  - { name: a, match: {}, playbook: alert, severity: info }\n`, signal: sig(), state: { active: { id: 'i1', playbook: 'emergency', changingKey: false } }, expect: 'alert info by a' },
  { name: 'during a playbook', rules: `  - { name: more, match: { incident: { playbook: [break-glass] } }, playbook: lockdown }\n`, signal: sig(), state: { active: { id: 'i1', playbook: 'break-glass', changingKey: false } }, expect: 'escalate i1 break-glass->lockdown by more' },
  { name: 'not during another playbook', rules: `  - { name: more, match: { incident: { playbook: [break-glass] } }, playbook: lockdown }\n`, signal: sig(), state: { active: { id: 'i1', playbook: 'emergency', changingKey: false } }, expect: 'attach i1 by -' },
  { name: 'after a playbook, within its minutes', rules: `  - { name: more, match: { incident: { playbook: [break-glass], closedWithinMinutes: 60 } }, playbook: lockdown }\n`, signal: sig(), state: { recent: [{ id: 'i0', playbook: 'break-glass', closedAt: NOW - 59 * MIN }] }, expect: 'open lockdown by more critical' },
  { name: 'after a playbook, too late', rules: `  - { name: more, match: { incident: { playbook: [break-glass], closedWithinMinutes: 60 } }, playbook: lockdown }\n`, signal: sig(), state: { recent: [{ id: 'i0', playbook: 'break-glass', closedAt: NOW - 61 * MIN }] }, expect: 'ignore by -' },
  // cooldowns
  { name: 'within the cooldown attaches to the finished incident', rules: BG, signal: sig(), state: { recent: [{ id: 'i0', playbook: 'break-glass', closedAt: NOW - 29 * MIN }] }, expect: 'attach i0 by leak' },
  { name: 'after the cooldown opens', rules: BG, signal: sig(), state: { recent: [{ id: 'i0', playbook: 'break-glass', closedAt: NOW - 31 * MIN }] }, expect: 'open break-glass by leak critical' },
  { name: 'a weaker finished incident is no cooldown', rules: BG, signal: sig(), state: { recent: [{ id: 'i0', playbook: 'emergency', closedAt: NOW - 1 * MIN }] }, expect: 'open break-glass by leak critical' },
  {
    name: 'a leak of another key version is no cooldown',
    rules: BG,
    signal: sig({ match: { key: 'credential', field: 'api_key', revoked: false, versionId: 'v2' } }),
    state: { recent: [{ id: 'i0', playbook: 'break-glass', closedAt: NOW - 1 * MIN, versionId: 'v1' }] },
    expect: 'open break-glass by leak critical',
  },
  // never acted on
  { name: 'unmatched', rules: `  - { name: all, match: {}, playbook: lockdown }\n`, signal: sig({ kind: 'github.secret.public_leak.unmatched', credentialId: null }), expect: 'ignore by -' },
  { name: 'revoked key', rules: `  - { name: all, match: {}, playbook: lockdown }\n`, signal: sig({ match: { key: 'credential', field: 'api_key', revoked: true } }), expect: 'ignore by -' },
  { name: 'revoked key with a running incident attaches', rules: `  - { name: all, match: {}, playbook: lockdown }\n`, signal: sig({ match: { key: 'credential', field: 'api_key', revoked: true } }), state: { active: { id: 'i1', playbook: 'emergency', changingKey: false } }, expect: 'attach i1 by -' },
  // the kill switch
  { name: 'paused: the decision waits for approval', rules: BG, signal: sig(), state: { paused: true }, expect: 'open break-glass by leak approval critical' },
  { name: 'paused: an escalation waits for approval', rules: BG, signal: sig(), state: { paused: true, active: { id: 'i1', playbook: 'emergency', changingKey: false } }, expect: 'escalate i1 emergency->break-glass by leak approval' },
  { name: 'a rule that asks approval', rules: `  - { name: ask, match: {}, playbook: emergency, approval: true }\n`, signal: sig(), expect: 'open emergency by ask approval critical' },
];

for (const row of table) {
  t.test(row.name, async (t) => {
    t.equal(line(decide(rules(row.rules), row.signal, state(row.state), NOW)), row.expect);
  });
}

t.test('the decision names the signals behind it, the decided one last', async (t) => {
  const W = rules(`  - { name: two, match: {}, window: { minutes: 10, count: 2, distinctSources: 2 }, playbook: break-glass }\n`);
  const earlier = sig({ source: 'a', ago: 5 });
  const now = sig({ source: 'b' });
  const o = decide(W, now, state({ window: [earlier, now] }), NOW);
  t.equal(o.action, 'open');
  if (o.action === 'open') t.same(o.decision.signalIds, [earlier.id, now.id], 'the window read from the store may hold the decided signal: counted once');
});

t.test('glob: * is any run, everything else literal', async (t) => {
  t.ok(glob('github.*', 'github.secret.public_leak'));
  t.ok(glob('*.decoy.read', 'eventbridge.decoy.read'));
  t.notOk(glob('github.*', 'githubXsecret'), 'a dot is a dot');
  t.notOk(glob('a+b', 'aab'), 'regex characters are literal');
  t.ok(glob('a+b', 'a+b'));
});
