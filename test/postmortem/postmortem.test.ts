import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { postMortemMarkdown } from '../../src/postmortem/markdown.js';
import { postMortem, type IncidentRecord } from '../../src/postmortem/postmortem.js';

// A break-glass recorded against the simulators (a GitHub public leak, resolved), as the store returned it.
const fixture = new URL('../fixtures/postmortem/break-glass.json', import.meta.url);
const golden = new URL('../fixtures/postmortem/break-glass.md', import.meta.url);
const record = JSON.parse(readFileSync(fixture, 'utf8')) as IncidentRecord;

t.test('the post-mortem of a recorded break-glass renders as the golden Markdown', async (t) => {
  const md = postMortemMarkdown(postMortem(record));
  // GOLDEN_UPDATE=1 rewrites the golden file after a deliberate change of the rendering; review its diff.
  if (process.env.GOLDEN_UPDATE === '1') writeFileSync(golden, md);
  t.equal(md, readFileSync(golden, 'utf8'));
});

t.test("its figures are the timeline's own timestamps", async (t) => {
  const pm = postMortem(record);
  const at = (type: string, step?: string) => record.timeline.find((e) => e.type === type && (step === undefined || e.data.step === step))!.at;
  const signal = record.signals[0]!;
  const contained = Math.max(at('step.finished', 'revoke'), at('step.finished', 'freeze'));
  t.equal(pm.milestones.detected?.at, signal.receivedAt, 'detected: the first signal received');
  t.equal(pm.milestones.leaked?.at, Date.parse(signal.evidence.authorDate as string), "leaked: the commit's author date");
  t.equal(pm.milestones.leaked?.reported, true, 'marked as the source reports it');
  t.equal(pm.milestones.contained?.at, contained, 'contained: the key revoked and no pod left, whichever came last');
  t.equal(pm.durations.containMs, contained - signal.receivedAt);
  t.equal(pm.durations.recoverMs, at('step.finished', 'verify') - signal.receivedAt);
  t.equal(pm.durations.detectMs, signal.receivedAt - Date.parse(signal.evidence.authorDate as string));
  t.equal(pm.milestones.resolved?.at, at('incident.resolved'));
  t.equal(pm.targets.containMs, 120_000, "the runbook's break-glass target");
  t.equal(pm.milestones.acknowledged, undefined, 'no human acted');
  t.same(pm.overrides, []);
  for (const s of pm.steps) {
    const run = record.steps.find((r) => r.step === s.id)!;
    t.equal(s.durationMs, run.finishedAt! - run.startedAt, `${s.id}: its journal's duration`);
  }
  t.equal(pm.orders.cancelled, record.steps.reduce((n, s) => n + (typeof s.outputs.cancelled === 'number' ? s.outputs.cancelled : 0), 0), 'orders cancelled on both sides of the revoke');
  t.equal(pm.orders.cancelled, 9);
});

t.test('an operator’s action acknowledges the incident and is listed as an override; an incident not yet contained says so', async (t) => {
  const cut = record.timeline.findIndex((e) => e.type === 'step.finished' && e.data.step === 'revoke');
  const timeline = record.timeline.slice(0, cut);
  const approval = { ...timeline[timeline.length - 1]!, seq: 999, actor: 'user:alice' as const, type: 'incident.pause_requested', message: 'pause (bybit-prod-trading): checking with the desk' };
  const pm = postMortem({ ...record, incident: { ...record.incident, state: 'running', closedAt: null }, timeline: [...timeline, approval] });
  t.equal(pm.milestones.acknowledged?.at, approval.at);
  t.same(pm.overrides.map((o) => o.actor), ['user:alice']);
  t.equal(pm.milestones.contained, undefined, 'the revoke never finished: not contained');
  t.equal(pm.durations.containMs, null);
  const md = postMortemMarkdown(pm);
  t.match(md, 'Time to contain: not reached');
  t.match(md, 'user:alice: pause (bybit-prod-trading): checking with the desk');
});
