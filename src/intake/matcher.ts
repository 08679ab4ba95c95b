import type { Credential } from '../core/credential.js';
import { fingerprint } from '../core/fingerprint.js';
import { KEY_STAGES, type KeyStage, type SignalMatch } from '../core/signal.js';
import type { LeakGuardClients } from '../integrations/clients.js';

/** A match names the credential and which of its keys (or identifiers) matched. */
export interface CredentialMatch extends SignalMatch {
  credentialId: string;
}

/** Why the matcher cannot say whether a value is ours: a credential whose keys it could not read. */
export class MatchIncomplete extends Error {
  constructor(readonly problems: { credentialId: string; problem: string }[]) {
    super(
      `cannot tell whether the value belongs to a managed credential: ${problems.map((p) => `${p.credentialId}: ${p.problem}`).join('; ')}; LeakGuard retries, and an alert-only signal says so meanwhile`,
    );
    this.name = 'MatchIncomplete';
  }
}

export interface MatcherDeps {
  credentials: readonly Credential[];
  clients: Pick<LeakGuardClients, 'secrets' | 'masterKey'>;
  /** Fingerprints of this credential's keys that an incident proved revoked. */
  revokedFingerprints(credentialId: string): Promise<ReadonlySet<string>>;
  /** The exchange watch's key for this credential (detectors.exchange.watch), when it has one: LeakGuard's own, like the master key. */
  watchKey?(credential: Credential, signal?: AbortSignal): Promise<{ apiKey: string; apiSecret: string } | null>;
}

/** What is known of one credential: fingerprints only, never the values (the scrubber has those). */
interface Known {
  byFingerprint: Map<string, SignalMatch[]>;
  /** The first characters of each key id (as an exchange's notice names a key), with what they belong to. */
  hints: Map<string, SignalMatch[]>;
  arn: string | null;
  problem: string | null;
}

/**
 * The credential matcher every detector shares: SHA-256 fingerprints of each credential's key and
 * secret at AWSCURRENT, AWSPENDING and AWSPREVIOUS and of LeakGuard's master key for its account,
 * its secret id and ARN, its workload and its account UID. A value that matches nothing is
 * checked again against freshly read versions before it is called unmatched (a rotation may have
 * just happened); a credential that could not be read makes the answer incomplete, never "not ours".
 */
export class CredentialMatcher {
  readonly #known = new Map<string, Known>();
  /** Bumped by every question that needs fresh versions; a load covers the questions asked before it began. */
  #asked = 0;
  #loadedUpTo = -1;
  #loading: { upTo: number; done: Promise<void> } | undefined;

  constructor(private readonly deps: MatcherDeps) {}

  /** Reads every credential's versions and master key again; per credential, a failed read keeps what was known and is reported. */
  async refresh(credentialId?: string, signal?: AbortSignal): Promise<{ credentialId: string; problem: string }[]> {
    const credentials = this.deps.credentials.filter((c) => credentialId === undefined || c.id === credentialId);
    await Promise.all(credentials.map((c) => this.#load(c, signal)));
    return credentials.flatMap((c) => {
      const problem = this.#known.get(c.id)?.problem;
      return problem ? [{ credentialId: c.id, problem }] : [];
    });
  }

  /** Drops what is known of a credential (its keys changed): the next question reads it again. No call now, beside a containment. */
  forget(credentialId: string): void {
    this.#known.delete(credentialId);
  }

  /**
   * The credentials a secret value (a key or a secret, as a leak shows it) belongs to. Throws
   * MatchIncomplete when it matches nothing known but some credential's keys could not be read.
   */
  async match(value: string, signal?: AbortSignal): Promise<CredentialMatch[]> {
    const fp = fingerprint(value.trim());
    const found = this.#lookup(fp);
    if (found.length) return found;
    await this.#fresh(++this.#asked, signal);
    const again = this.#lookup(fp);
    if (again.length) return again;
    const problems = this.deps.credentials.flatMap((c) => {
      const problem = this.#known.get(c.id)?.problem;
      return problem ? [{ credentialId: c.id, problem }] : [];
    });
    if (problems.length) throw new MatchIncomplete(problems);
    return [];
  }

  /** A Secrets Manager secret named by id, name or ARN (CloudTrail and EventBridge name it by ARN). */
  matchSecret(idOrArn: string): CredentialMatch[] {
    return this.deps.credentials
      .filter((c) => sameSecret(c.secretId, idOrArn) || (this.#known.get(c.id)?.arn ?? null) === idOrArn || (c.secretId.startsWith('arn:') && arnName(c.secretId) === idOrArn))
      .map((c) => ({ credentialId: c.id, key: 'credential', field: 'secret_id', revoked: false }));
  }

  /** The credentials whose bot runs in this namespace (and deployment, when given). */
  matchWorkload(namespace: string, deployment?: string): CredentialMatch[] {
    return this.deps.credentials
      .filter((c) => c.workload.namespace === namespace && (deployment === undefined || c.workload.deployment === deployment))
      .map((c) => ({ credentialId: c.id, key: 'credential', field: 'workload', revoked: false }));
  }

  /** The credentials of an exchange account (Bybit: the sub-account UID). */
  matchUid(exchange: string, uid: string): CredentialMatch[] {
    return this.deps.credentials
      .filter((c) => c.exchange === exchange && c.account.uid === uid)
      .map((c) => ({ credentialId: c.id, key: 'credential', field: 'uid', revoked: false }));
  }

  /**
   * The credentials one of whose keys begins with `hint` (an exchange's e-mail names a key by its
   * first characters): a hint, never proof, since several keys may share them. Reads what is not known yet.
   */
  async matchKeyHint(exchange: string, hint: string, signal?: AbortSignal): Promise<CredentialMatch[]> {
    const prefix = hint.trim().slice(0, HINT_LENGTH);
    if (prefix.length < HINT_LENGTH) return [];
    const ofExchange = this.deps.credentials.filter((c) => c.exchange === exchange);
    if (ofExchange.some((c) => !this.#known.has(c.id))) await this.#fresh(++this.#asked, signal);
    return ofExchange.flatMap((c) => (this.#known.get(c.id)?.hints.get(prefix) ?? []).map((m) => ({ credentialId: c.id, ...m })));
  }

  #lookup(fp: string): CredentialMatch[] {
    const out: CredentialMatch[] = [];
    for (const [credentialId, known] of this.#known) for (const m of known.byFingerprint.get(fp) ?? []) out.push({ credentialId, ...m });
    return out;
  }

  /** Waits for a load of every credential that began after question `ticket` was asked (one load serves every waiting question). */
  async #fresh(ticket: number, signal?: AbortSignal): Promise<void> {
    while (this.#loadedUpTo < ticket) {
      const loading = this.#loading;
      if (loading) {
        await loading.done;
        continue;
      }
      const upTo = this.#asked;
      // Per-credential failures are kept as problems (refresh never rejects but on abort): either way this load is over.
      const done = this.refresh(undefined, signal).then(
        () => {},
        () => {},
      ).finally(() => {
        this.#loadedUpTo = Math.max(this.#loadedUpTo, upTo);
        this.#loading = undefined;
      });
      this.#loading = { upTo, done };
      await done;
      if (signal?.aborted) throw signal.reason;
    }
  }

  async #load(c: Credential, signal?: AbortSignal): Promise<void> {
    const { secrets } = this.deps.clients;
    const byFingerprint = new Map<string, SignalMatch[]>();
    const hints = new Map<string, SignalMatch[]>();
    const add = (value: string, m: SignalMatch) => {
      const fp = fingerprint(value.trim());
      byFingerprint.set(fp, [...(byFingerprint.get(fp) ?? []), m]);
      if (m.field === 'api_key') {
        const h = value.trim().slice(0, HINT_LENGTH);
        hints.set(h, [...(hints.get(h) ?? []), m]);
      }
    };
    const problems: string[] = [];
    let arn: string | null = this.#known.get(c.id)?.arn ?? null;
    try {
      const described = await secrets.describeVersions(c.secretId, signal);
      arn = described.arn || arn;
      const revoked = await this.deps.revokedFingerprints(c.id);
      for (const v of described.versions) {
        const stage = KEY_STAGES.find((s) => v.stages.includes(s));
        if (!stage) continue;
        try {
          const { secret } = await secrets.readVersion(c.secretId, v.versionId, signal);
          const base = { key: 'credential' as const, stage: stage as KeyStage, versionId: v.versionId, revoked: revoked.has(fingerprint(secret.api_key)) };
          add(secret.api_key, { ...base, field: 'api_key' });
          add(secret.api_secret, { ...base, field: 'api_secret' });
        } catch (err) {
          // A Lambda rotation's AWSPENDING version has no value until its createSecret step: nothing to match yet.
          if (stage === 'AWSPENDING' && (err as { kind?: string }).kind === 'not_found') continue;
          problems.push(`its ${stage} version could not be read: ${(err as Error).message}`);
        }
      }
    } catch (err) {
      problems.push(`its versions could not be listed: ${(err as Error).message}`);
    }
    if (c.account.masterKey) {
      try {
        const master = await this.deps.clients.masterKey(c, signal);
        add(master.apiKey, { key: 'master', field: 'api_key', revoked: false });
        add(master.apiSecret, { key: 'master', field: 'api_secret', revoked: false });
      } catch (err) {
        problems.push(`LeakGuard's master key could not be read: ${(err as Error).message}`);
      }
    }
    if (this.deps.watchKey) {
      try {
        const watch = await this.deps.watchKey(c, signal);
        if (watch) {
          add(watch.apiKey, { key: 'watch', field: 'api_key', revoked: false });
          add(watch.apiSecret, { key: 'watch', field: 'api_secret', revoked: false });
        }
      } catch (err) {
        problems.push(`the exchange watch key could not be read: ${(err as Error).message}`);
      }
    }
    const before = this.#known.get(c.id);
    // What could not be read now is still known from before: a value matched then is ours now too.
    if (problems.length && before) {
      for (const [fp, ms] of before.byFingerprint) if (!byFingerprint.has(fp)) byFingerprint.set(fp, ms);
      for (const [h, ms] of before.hints) if (!hints.has(h)) hints.set(h, ms);
    }
    this.#known.set(c.id, { byFingerprint, hints, arn, problem: problems.length ? problems.join('; ') : null });
  }
}

/** As many characters of a key id as LeakGuard may show (core/fingerprint.ts keyHint). */
const HINT_LENGTH = 4;

/** Secrets Manager names a secret by name or ARN; an ARN ends in the name and six random characters. */
export function sameSecret(secretId: string, idOrArn: string): boolean {
  if (secretId === idOrArn) return true;
  return (idOrArn.startsWith('arn:') && arnName(idOrArn) === secretId) || (secretId.startsWith('arn:') && arnName(secretId) === idOrArn);
}

/** The secret's name in an ARN (arn:aws:secretsmanager:region:account:secret:NAME-AbCdEf). */
function arnName(arn: string): string | undefined {
  const m = /:secret:(.+)-[A-Za-z0-9]{6}$/.exec(arn);
  return m?.[1];
}
