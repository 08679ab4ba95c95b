import { seconds, type PostMortem } from './postmortem.js';

const iso = (at: number | null | undefined) => (at === null || at === undefined ? '—' : new Date(at).toISOString());
const cell = (v: unknown) => String(v ?? '—').replace(/\|/g, '\\|').replace(/\n/g, ' ');
const table = (head: string[], rows: unknown[][]) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
const vsTarget = (ms: number | null, target: number | null) => (ms === null ? 'not reached' : `${seconds(ms)}${target === null ? '' : ` (target < ${seconds(target)}: ${ms < target ? 'met' : 'MISSED'})`}`);

const MILESTONES = [
  ['leaked', 'Leaked'],
  ['detected', 'Detected (first signal received)'],
  ['opened', 'Incident opened'],
  ['acknowledged', 'Acknowledged (first human action)'],
  ['contained', 'Contained'],
  ['recovered', 'Recovered'],
  ['resolved', 'Closed'],
] as const;

/** The post-mortem as Markdown, to paste into a review. Text already scrubbed in the records stays so. */
export function postMortemMarkdown(pm: PostMortem): string {
  const i = pm.incident;
  const out = [
    `# Post-mortem: ${i.playbook} for ${i.credentialId}`,
    '',
    pm.summary,
    '',
    `Incident \`${i.id}\` · state **${i.state}**${i.dryRun ? ' · dry run' : ''} · key ${i.keyHint ?? '—'} (version ${i.versionId ?? '—'})`,
    '',
    '## Timeline',
    '',
    table(
      ['milestone', 'time (UTC)', 'from'],
      MILESTONES.map(([k, label]) => {
        const m = pm.milestones[k];
        return [label, iso(m?.at), m ? `${m.from}${m.reported ? ' (as the source reports it)' : ''}` : 'not reached'];
      }),
    ),
    '',
    `- Time to detect: ${pm.durations.detectMs === null ? 'unknown' : `${seconds(pm.durations.detectMs)} (from the source's own time)`}`,
    `- Time to contain: ${vsTarget(pm.durations.containMs, pm.targets.containMs)}`,
    `- Time to recover: ${vsTarget(pm.durations.recoverMs, pm.targets.recoverMs)}`,
    '',
    '## Steps',
    '',
    table(
      ['step', 'status', 'attempts', 'started (UTC)', 'duration', 'budget', 'error'],
      pm.steps.map((s) => [s.id, s.status, s.attempts, iso(s.startedAt), s.durationMs === null ? '—' : seconds(s.durationMs), s.budgetMs === null ? '—' : seconds(s.budgetMs), s.error ?? '']),
    ),
    '',
    '## Signals',
    '',
    ...(pm.signals.length ? pm.signals.flatMap((s) => [`- **${s.kind}** (${s.source}, ${s.confidence}), received ${iso(s.receivedAt)}, observed ${iso(s.observedAt)} as the source reports it`, ...Object.entries(s.evidence).map(([k, v]) => `  - ${k}: ${cell(typeof v === 'object' ? JSON.stringify(v) : v)}`)]) : ['None: the incident was declared.']),
    '',
    '## Overrides',
    '',
    ...(pm.overrides.length ? pm.overrides.map((o) => `- ${iso(o.at)} ${o.actor}: ${o.message}`) : ['None: LeakGuard ran on its own.']),
    '',
    '## Orders and positions',
    '',
    `- Orders cancelled: ${pm.orders.cancelled}`,
    `- Positions at freeze: ${pm.orders.positionsAtFreeze ?? 'not recorded'}`,
    `- Positions at verify: ${pm.orders.positionsAtVerify ?? 'not recorded'}`,
    '',
    '## Follow-up',
    '',
    ...pm.followUp.map((f) => `- [ ] ${f.text}`),
    '',
  ];
  return out.join('\n');
}
