import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { checkCredentials } from './checks/credentials.js';
import { StartupReport } from './checks/report.js';
import { systemClock, type Clock } from './core/clock.js';
import type { Credential, SecretRef } from './core/credential.js';
import { Scrubber } from './core/scrubber.js';
import { ConfigError } from './config/load.js';
import { configWarnings } from './config/warnings.js';
import type { Config } from './config/schema.js';
import { buildApp } from './http/app.js';
import { createLogger } from './http/logger.js';
import { IncidentChanges } from './incidents/changes.js';
import { Incidents } from './incidents/incidents.js';
import { defaultExchanges } from './integrations/exchanges/registry.js';
import { ROTATIONS_WORK, rotationsHandler } from './incidents/rotations.js';
import type { PlaybookName } from './core/incident.js';
import { createClients, type ClientDeps, type LeakGuardClients } from './integrations/clients.js';
import type { ResponderRegistry } from './runner/responder.js';
import { Runner, type RunnerOptions } from './runner/runner.js';
import { openStore, redactUrl } from './store/open.js';
import type { Store } from './store/store.js';
import { checkNeeds, playbookPlan } from '../responders/playbooks.js';
import { responders as defaultResponders } from '../responders/registry.js';
import { revokedFingerprints } from '../responders/revoke/revoked-keys.js';
import { defaultDetectors } from '../detectors/registry.js';
import type { DetectorList } from './intake/detector.js';
import { Intake, SIGNAL_WORK } from './intake/intake.js';
import { decideHandler } from './incidents/decide-signal.js';
import type { Rule } from './engine/rules.js';
import { keyCheck } from './intake/key-check.js';
import { periodic } from './schedule/periodic.js';
import { retentionJob } from './schedule/retention.js';
import { exchangeReads } from './intake/exchange-reads.js';
import { rotationCheckJob } from './schedule/rotation-due.js';
import { CredentialMatcher } from './intake/matcher.js';
import { loadRules } from './config/rules-file.js';

/** The responders whose end changes what the credential matcher knows. */
const KEY_CHANGING = new Set(['rotate', 'promote', 'revoke']);

/** What the outside world supplies; everything has a production default. */
export interface LeakGuardDeps {
  clock?: Clock;
  scrubber?: Scrubber;
  logger?: Logger;
  /** An open store (tests share one between LeakGuards); it stays open on close(). Else config.store.url is opened and migrated. */
  store?: Store;
  /** How the clients reach the outside systems (tests: the simulators). */
  clientDeps?: Omit<ClientDeps, 'clock' | 'scrubber' | 'logger'>;
  /** Clients built elsewhere (tests that call them directly too); they stay open on close(). */
  clients?: LeakGuardClients;
  responders?: ResponderRegistry;
  /** The detectors (default: the registry's); the config must be parsed with the same list. */
  detectors?: DetectorList;
  /** Runner settings (holder, lease, poll, events); credentials default to the config's. */
  runner?: Omit<RunnerOptions, 'store' | 'responders' | 'clock' | 'clients' | 'logger'>;
}

/** One LeakGuard: built, not yet acting. `start` makes it act; `close` undoes everything it started. */
export interface LeakGuard {
  config: Config;
  clock: Clock;
  scrubber: Scrubber;
  logger: Logger;
  store: Store;
  clients: LeakGuardClients;
  runner: Runner;
  /** The one owner of incidents: what detectors, rules and the API call to open and steer them. */
  incidents: Incidents;
  /** The detector API: every enabled detector, the credential matcher, and the one way signals come in. */
  intake: Intake;
  matcher: CredentialMatcher;
  app: FastifyInstance;
  /**
   * Starts the runner (it resumes every unfinished incident and queued work), the detectors and the
   * startup check of every credential; resolves once the detectors have started.
   */
  start(): Promise<void>;
  /** Hands running steps back within `graceMs` (they resume at the next start), then closes what this LeakGuard opened. Idempotent. */
  close(graceMs?: number): Promise<void>;
}

/**
 * The one composition root (DESIGN.md, Layout): store, clients, scrubber, registries, runner,
 * incidents and HTTP app are wired here and nowhere else. Building acts on nothing outside: no step
 * runs and no port is bound until the caller says so.
 */
export async function createLeakGuard(config: Config, deps: LeakGuardDeps = {}): Promise<LeakGuard> {
  const { clock, scrubber, logger, clients } = await wireClients(config, deps);
  const responders = deps.responders ?? defaultResponders;
  let store: Store;
  let rules: Rule[];
  try {
    // Rules are checked at start: a broken file stops LeakGuard before it takes any signal.
    rules = loadRules(config.rulesFile).file.rules;
    // A playbook step that cannot work for a credential is refused now, not when a leak needs it.
    const problems = checkNeeds(config.playbooks, config.credentials, (c) => clients.exchanges.exchangeFor(c).capabilities, responders);
    if (problems.length) throw new ConfigError('the config', problems);
    store = deps.store ?? (await openStore({ url: config.store.url, scrubber, logger }));
  } catch (err) {
    if (!deps.clients) clients.close();
    throw err;
  }
  for (const warning of configWarnings(config, process.env)) logger.warn(`config: ${warning}`);
  if (!deps.store) logger.info({ store: store.dialect, url: store.dialect === 'postgres' ? redactUrl(config.store.url) : config.store.url }, 'store ready');
  const byId = new Map<string, Credential>(config.credentials.map((c) => [c.id, c]));
  const credentials = deps.runner?.credentials ?? ((id: string) => byId.get(id));
  // The store's reads are wired here; what a revoke proved is the revoke responder's to read from its outputs.
  const revokedKeys = async (credentialId: string) => {
    const incidents = await store.listIncidents({ credentialId, limit: 100 });
    return revokedFingerprints((await Promise.all(incidents.map((i) => store.listStepRuns(i.id)))).flat());
  };
  // The exchange watch's keys are LeakGuard's own, as the master keys are: a leak of one is a signal for its credential.
  const watchKeys = (config.detectors as { exchange?: { enabled?: boolean; watch?: Record<string, { key: SecretRef }> } }).exchange;
  const watchKey = async (c: Credential, signal?: AbortSignal) => {
    const ref = watchKeys?.enabled ? watchKeys.watch?.[c.id]?.key : undefined;
    return ref ? clients.keyAt(ref, `the exchange watch key of ${c.id}`, signal) : null;
  };
  const matcher = new CredentialMatcher({ credentials: config.credentials, clients, revokedFingerprints: revokedKeys, watchKey });
  const onEvent = deps.runner?.onEvent;
  const changes = new IncidentChanges();
  const plan = (name: PlaybookName) => playbookPlan(name, config.playbooks, responders);
  const runner = new Runner({
    ...deps.runner,
    credentials,
    store,
    responders,
    clock,
    clients: { ...clients },
    logger,
    onEvent: (e) => {
      onEvent ? onEvent(e) : logger.debug(e, `runner ${e.type}`);
      // These steps write, move or revoke key versions: the matcher must know the new key before it leaks.
      if (e.type === 'step.finished' && KEY_CHANGING.has(e.responder ?? '')) void refreshFor(e.incidentId);
      changes.changed(e.incidentId);
    },
  });
  const refreshFor = async (incidentId: string) => {
    try {
      const incident = await store.getIncident(incidentId);
      if (incident) matcher.forget(incident.credentialId);
    } catch (err) {
      logger.warn({ err, incidentId }, 'could not refresh the credential matcher after a step; it refreshes again before anything is called unmatched');
    }
  };
  const retention = periodic(store, clock, retentionJob({ store, clock, logger, ...config.retention }));
  runner.handle(retention.kind, retention.handler);
  const incidents = new Incidents({
    store,
    clock,
    responders,
    clients,
    credentials,
    scrubber,
    wake: (id) => {
      runner.wake(id);
      if (id) changes.changed(id);
    },
  });
  runner.handle(ROTATIONS_WORK, rotationsHandler({ store, clock, credentials, plan, open: (req) => incidents.open(req), pollMs: deps.runner?.pollMs ?? 1_000 }));
  const rotationCheck = periodic(
    store,
    clock,
    rotationCheckJob({ credentials: config.credentials, clients, incidents, store, clock, logger, plan: () => plan('scheduled'), everyMinutes: config.scheduledRotation.everyMinutes }),
  );
  // Disabled, its kind has no handler: a period queued while it was on waits unclaimed.
  if (config.scheduledRotation.enabled) runner.handle(rotationCheck.kind, rotationCheck.handler);
  const alarm = (text: string) => {
    logger.error({ alarm: true }, text);
    clients.slack?.enqueue({ text: `:warning: LeakGuard: ${text}` });
  };
  runner.handle(
    SIGNAL_WORK,
    decideHandler({
      store,
      clock,
      rules,
      incidents,
      credentials,
      plan,
      alert: (text, severity) => {
        logger[severity === 'info' ? 'info' : severity === 'warning' ? 'warn' : 'error']({ alert: true, severity }, text);
        clients.slack?.enqueue({ text: `${severity === 'page' || severity === 'critical' ? ':rotating_light:' : ':warning:'} LeakGuard: ${text}` });
      },
    }),
  );
  const intake = new Intake({
    sections: config.detectors,
    detectors: deps.detectors ?? defaultDetectors,
    store,
    clock,
    scrubber,
    logger,
    matcher,
    checkKey: keyCheck(credentials, clients),
    credentials: config.credentials,
    pods: clients.workload,
    errorCodes: (exchange) => (deps.clientDeps?.exchanges ?? defaultExchanges).find((m) => m.name === exchange)?.errors.codes ?? {},
    exchange: exchangeReads(clients),
    secret: (ref, signal) => clients.secretValue(ref, signal),
    handle: (kind, handler) => runner.handle(kind, handler),
    attention: (credentialId, reason) => incidents.needsAttention(credentialId, 'system:detector', reason),
    alarm,
  });
  // LeakGuard's call log: a CloudTrail record of its own call is recognised by its request id, not by a user agent a thief can copy.
  // Written after the answer; a record lost in a crash makes that call look foreign (an alert), never hides a foreign one.
  const unobserve = clients.secrets.observeCalls((call) => {
    store.recordOwnCall({ ...call, service: 'Secrets Manager' }).catch((err: unknown) => logger.warn({ err, requestId: call.requestId }, 'could not record an own Secrets Manager call; its CloudTrail record will be reported as not LeakGuard\'s'));
  });
  const startup = new StartupReport(config.credentials.map((c) => c.id));
  const app = await buildApp({ config, store, scrubber, clock, logger, startup, intake, incidents, changes, plan });

  let closing: Promise<void> | undefined;
  return {
    config,
    clock,
    scrubber,
    logger,
    store,
    clients,
    runner,
    incidents,
    intake,
    matcher,
    app,
    async start() {
      await retention.arm();
      if (config.scheduledRotation.enabled) await rotationCheck.arm();
      runner.start();
      // The check never holds anything up: a leak must be answered even if one credential is misconfigured.
      void checkCredentials(config.credentials, clients)
        .then((problems) => {
          startup.done(problems);
          for (const p of problems) logger.error({ credential: p.credentialId }, `startup check: ${p.credentialId}: ${p.problem}`);
          if (!problems.length) logger.info({ credentials: config.credentials.length }, 'startup check passed');
        })
        .catch((err: unknown) => {
          startup.failed(scrubber.scrub((err as Error).message));
          logger.error({ err }, 'startup check failed to run');
        });
      await intake.start();
    },
    close: (graceMs = 5_000) =>
      (closing ??= (async () => {
        await app.close();
        await intake.stop();
        await runner.stop(graceMs);
        unobserve();
        if (!deps.store) await store.close();
        if (!deps.clients) clients.close();
      })()),
  };
}

/**
 * Clock, scrubber, logger and clients: all that `leakguard check` needs (no store). A bad
 * kubeconfig fails here, before anything is opened.
 */
export async function wireClients(config: Config, deps: Pick<LeakGuardDeps, 'clock' | 'scrubber' | 'logger' | 'clientDeps' | 'clients'>) {
  const scrubber = deps.scrubber ?? new Scrubber();
  const logger = deps.logger ?? createLogger(scrubber);
  const clock = deps.clock ?? systemClock;
  const clients = deps.clients ?? (await createClients(config, { clock, scrubber, logger, ...deps.clientDeps }));
  return { clock, scrubber, logger, clients };
}
