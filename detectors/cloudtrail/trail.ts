import { BlockList, isIP } from 'node:net';
import type { SignalInput } from '../../src/core/signal.js';
import type { DetectorContext } from '../../src/intake/detector.js';
import type { EventBridgeConfig, Expectation } from './config.js';
import type { TrailRecord } from './events.js';
import { callEvidence, listedPrincipal, principalsOf, secretsNamed } from './secrets.js';
import type { Serial } from './serial.js';

const SOURCE = 'eventbridge';
const HOUR = 3_600_000;
/** Calls that change a secret, its versions or who may read it. */
export const WRITES = new Set([
  'PutSecretValue', 'UpdateSecretVersionStage', 'DeleteSecret', 'RestoreSecret', 'RotateSecret', 'CancelRotateSecret',
  'PutResourcePolicy', 'DeleteResourcePolicy', 'UpdateSecret', 'ReplicateSecretToRegions', 'RemoveRegionsFromReplication', 'StopReplicationToReplica',
]);
/** Values a baseline keeps per list: enough for any real workload, bounded against a flood of forged ones. */
const BASELINE_MAX = 500;

interface Baseline {
  since: number;
  principals: string[];
  ips: string[];
  agents: string[];
}

/**
 * One Secrets Manager API call from CloudTrail, judged for every credential whose secret it
 * names: the anomaly signals it gives. A call found in LeakGuard's own call log (same request
 * id, eventTime within the skew) gives none. Windows and the learning period go by receivedAt.
 */
export async function judgeCall(ctx: DetectorContext<EventBridgeConfig>, serial: Serial, r: TrailRecord, receivedAt: number, envelopeResources: string[]): Promise<SignalInput[]> {
  // BatchGetSecretValue is logged again as one GetSecretValue per secret: those are counted, not the batch.
  if (r.eventSource !== 'secretsmanager.amazonaws.com' || r.eventName === 'BatchGetSecretValue') return [];
  const named = secretsNamed(r, envelopeResources);
  const credentials = new Map<string, string>();
  for (const secretId of named) for (const m of ctx.match.matchSecret(secretId)) if (!credentials.has(m.credentialId)) credentials.set(m.credentialId, secretId);
  if (!credentials.size) return [];
  if (await isOwnCall(ctx, r)) return [];

  const cfg = ctx.config;
  const leakguardIdentity = listedPrincipal(r, cfg.leakguardPrincipals);
  const observedAt = Date.parse(r.eventTime ?? '') || receivedAt;
  const out: SignalInput[] = [];
  for (const [credentialId, secretId] of credentials) {
    const exp: Expectation = cfg.credentials[credentialId] ?? { principals: [], allowedCidrs: [], vpcEndpoints: [], learningHours: 72 };
    const evidence = callEvidence(r, secretId);
    const signal = (kind: string, why: string, extra: Record<string, unknown> = {}): SignalInput => ({
      source: SOURCE,
      kind: `aws.secret.${kind}`,
      credentialId,
      confidence: 'suspected',
      observedAt,
      evidence: { ...evidence, why, ...extra },
      dedupKey: `cloudtrail:${r.eventID}:${credentialId}:${kind}`,
      match: { key: 'credential', field: 'secret_id', revoked: false },
    });
    if (leakguardIdentity) out.push(signal('leakguard_identity_misused', "a call by LeakGuard's own role that is not in LeakGuard's call log: someone else holds LeakGuard's identity"));
    if (exp.principals.length && !leakguardIdentity && !listedPrincipal(r, exp.principals) && !listedPrincipal(r, cfg.rotationPrincipals)) {
      out.push(signal('unexpected_principal', 'the caller is not among the principals expected to use this secret', { expected: exp.principals }));
    }
    if (r.vpcEndpointId) {
      if (exp.vpcEndpoints.length && !exp.vpcEndpoints.includes(r.vpcEndpointId)) out.push(signal('unexpected_vpc_endpoint', 'the call came through a VPC endpoint not allowed for this secret', { allowed: exp.vpcEndpoints }));
    } else if (exp.allowedCidrs.length && r.sourceIPAddress && isIP(r.sourceIPAddress) && !inCidrs(r.sourceIPAddress, exp.allowedCidrs)) {
      // An AWS service calling on someone's behalf shows its name, not an IP: nothing to judge.
      out.push(signal('ip_outside_cidrs', 'the source IP is outside the CIDRs allowed for this secret', { allowed: exp.allowedCidrs }));
    }
    if (WRITES.has(r.eventName) && !listedPrincipal(r, cfg.rotationPrincipals)) {
      out.push(signal('foreign_write', `${r.eventName} by someone other than LeakGuard and the rotation role`));
    }
    await serial(async () => {
      if (/AccessDenied/i.test(r.errorCode ?? '')) {
        const burst = await accessDeniedBurst(ctx, credentialId, receivedAt);
        if (burst) out.push(signal('access_denied_burst', `${burst} AccessDenied answers on this secret within ${cfg.accessDenied.minutes} min`, { count: burst }));
        return;
      }
      if (r.errorCode) return;
      for (const [kind, value] of await newToBaseline(ctx, credentialId, exp, r, receivedAt)) out.push(signal(kind, `never seen on this secret before (learned since LeakGuard first saw it)`, { value }));
      if (r.eventName === 'GetSecretValue' && exp.readsPerHour) {
        const count = await readRate(ctx, credentialId, exp.readsPerHour, receivedAt);
        if (count) out.push(signal('read_rate', `more than ${exp.readsPerHour} reads of this secret within the hour`, { reads: count, hour: new Date(Math.floor(receivedAt / HOUR) * HOUR).toISOString() }));
      }
    });
  }
  return out;
}

/** LeakGuard made this call: its request id is in the call log and the times agree (a replayed or forged id from another time is not). */
async function isOwnCall(ctx: DetectorContext<EventBridgeConfig>, r: TrailRecord): Promise<boolean> {
  if (!r.requestID) return false;
  const own = await ctx.ownCall(r.requestID);
  if (!own) return false;
  const at = Date.parse(r.eventTime ?? '');
  return Number.isFinite(at) && Math.abs(at - own.at) <= ctx.config.ownCallSkewMinutes * 60_000;
}

function inCidrs(ip: string, cidrs: readonly string[]): boolean {
  const list = new BlockList();
  for (const c of cidrs) {
    const [net, bits] = c.split('/');
    const family = isIP(net ?? '') === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(net!, family);
    else list.addSubnet(net!, Number(bits), family);
  }
  return list.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
}

/** What is new to the credential's baseline (principal, IP, user agent) once its learning period is over; each is flagged once, then learned. */
async function newToBaseline(ctx: DetectorContext<EventBridgeConfig>, credentialId: string, exp: Expectation, r: TrailRecord, now: number): Promise<[string, string][]> {
  const key = `baseline:${credentialId}`;
  const b = (await ctx.state.get<Baseline>(key)) ?? { since: now, principals: [], ips: [], agents: [] };
  const learning = now < b.since + exp.learningHours * HOUR;
  const { arn, issuer } = principalsOf(r);
  const seen: [string, keyof Omit<Baseline, 'since'>, string | null | undefined][] = [
    ['new_principal', 'principals', issuer ?? arn],
    ['new_ip', 'ips', r.sourceIPAddress],
    ['new_user_agent', 'agents', r.userAgent],
  ];
  const fresh: [string, string][] = [];
  let changed = !b.principals.length && !b.ips.length && !b.agents.length;
  for (const [kind, list, value] of seen) {
    if (!value || b[list].includes(value)) continue;
    if (!learning) fresh.push([`${kind}`, value]);
    if (b[list].length < BASELINE_MAX) b[list].push(value);
    changed = true;
  }
  if (changed) await ctx.state.put(key, b);
  return fresh;
}

/** The hour's read count once it passes the threshold (once per hour), else 0. */
async function readRate(ctx: DetectorContext<EventBridgeConfig>, credentialId: string, limit: number, now: number): Promise<number> {
  const key = `reads:${credentialId}`;
  const hour = Math.floor(now / HOUR);
  const s = (await ctx.state.get<{ hour: number; count: number; flagged: boolean }>(key)) ?? { hour, count: 0, flagged: false };
  const cur = s.hour === hour ? s : { hour, count: 0, flagged: false };
  cur.count += 1;
  const flag = cur.count > limit && !cur.flagged;
  if (flag) cur.flagged = true;
  await ctx.state.put(key, cur);
  return flag ? cur.count : 0;
}

/** The AccessDenied count within the window once it reaches the configured count (once per window), else 0. */
async function accessDeniedBurst(ctx: DetectorContext<EventBridgeConfig>, credentialId: string, now: number): Promise<number> {
  const { count, minutes } = ctx.config.accessDenied;
  const key = `denied:${credentialId}`;
  const windowMs = minutes * 60_000;
  const s = (await ctx.state.get<{ times: number[]; flaggedAt: number | null }>(key)) ?? { times: [], flaggedAt: null };
  const times = [...s.times.filter((t) => t > now - windowMs), now].slice(-count * 2);
  const flag = times.length >= count && (s.flaggedAt === null || s.flaggedAt <= now - windowMs);
  await ctx.state.put(key, { times, flaggedAt: flag ? now : s.flaggedAt });
  return flag ? times.length : 0;
}
