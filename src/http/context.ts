import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { Scrubber } from '../core/scrubber.js';
import type { StartupReport } from '../checks/report.js';
import type { Config } from '../config/schema.js';
import type { PlaybookName } from '../core/incident.js';
import type { IncidentChanges } from '../incidents/changes.js';
import type { Incidents } from '../incidents/incidents.js';
import type { Intake } from '../intake/intake.js';
import type { Plan } from '../runner/playbook.js';
import type { Store } from '../store/store.js';

/** What every route and plugin may use; reached as the typed decorator `app.leakguard`. */
export interface AppContext {
  config: Config;
  store: Store;
  scrubber: Scrubber;
  clock: Clock;
  logger: Logger;
  /** The startup check's findings per credential. */
  startup: StartupReport;
  /** The detectors: their routes and their health. */
  intake: Intake;
  /** The one owner of incidents: every API route that changes something calls it. */
  incidents: Incidents;
  /** Hints that an incident's timeline grew (the API's event streams). */
  changes: IncidentChanges;
  /** A playbook's plan as this LeakGuard runs it (defaults and config overrides). */
  plan(playbook: PlaybookName): Plan;
}

declare module 'fastify' {
  interface FastifyInstance {
    leakguard: AppContext;
  }
}
