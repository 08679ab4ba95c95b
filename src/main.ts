#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { checkCredentials } from './checks/credentials.js';
import { ConfigError, loadConfig } from './config/load.js';
import { configWarnings } from './config/warnings.js';
import { systemClock } from './core/clock.js';
import { Scrubber } from './core/scrubber.js';
import { ROLES } from './config/schema.js';
import { tokenSha256 } from './http/bearer.js';
import { createLogger } from './http/logger.js';
import { serve, StartError, type ServeOptions } from './http/serve.js';
import { createExchanges } from './integrations/exchanges/registry.js';
import { loadRules } from './config/rules-file.js';
import { RulesError } from './engine/parse.js';
import { describeOutcome, runRuleTests } from './engine/run-tests.js';
import { wireClients } from './leakguard.js';
import { postMortemMarkdown } from './postmortem/markdown.js';
import { postMortem } from './postmortem/postmortem.js';
import { readIncidentRecord } from './postmortem/record.js';
import { isPostgresUrl, openStore } from './store/open.js';
import type { ResponderRegistry } from './runner/responder.js';
import { checkNeeds, checkPlaybooks } from '../responders/playbooks.js';
import { responders as defaultResponders } from '../responders/registry.js';

const HELP = `leakguard: detects leaked or abused exchange API keys and responds on its own.

Usage:
  leakguard serve [--config FILE]     run the service (config: --config or LEAKGUARD_CONFIG)
  leakguard config check FILE         validate a config file and exit (0 valid, 2 invalid)
  leakguard rules check FILE          validate a rules file and run its tests: section, printing
                                      the rule and decision of each (0 all pass, 2 invalid or failing)
  leakguard check [--config FILE]     the startup check against the real systems: egress IPs on
                                      each key, master keys able to create keys and not withdraw
                                      (0 ready, 1 problems listed per credential)
  leakguard postmortem ID [--config FILE] [--json]
                                      the incident's post-mortem from the store, as Markdown
                                      (or JSON); 1 when there is no such incident
  leakguard token NAME [ROLE]         a new API token (printed once) and its api.tokens line
                                      (ROLE: viewer, operator or admin; viewer by default)
  leakguard --help                    this text

Environment overrides (deployment-specific values): see README.md, "Configuration".
Exit codes: 0 ok, 1 runtime failure, 2 invalid configuration or usage.`;

/** Where the CLI writes: the console, or a test's buffers. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const consoleIo: Io = { out: (t) => console.log(t), err: (t) => console.error(t) };

/**
 * Runs one command and resolves with its exit code; `serve` resolves with -1 while it runs
 * (until a signal). `serveOptions` lets tests run serve in this process; its responders are
 * the ones every command checks the playbooks against. One scrubber serves the whole run, so
 * everything it prints, a failure's cause included, is scrubbed of every secret it loaded.
 */
export async function main(argv: string[], out: Io = consoleIo, serveOptions: ServeOptions = {}): Promise<number> {
  const scrubber = serveOptions.scrubber ?? new Scrubber();
  const io: Io = { out: (text) => out.out(scrubber.scrub(text)), err: (text) => out.err(scrubber.scrub(text)) };
  try {
    return await command(argv, io, { ...serveOptions, scrubber });
  } catch (err) {
    if (err instanceof ConfigError || err instanceof RulesError) {
      io.err(err.message);
      return 2;
    }
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`${(err as Error).message}\n\n${HELP}`);
      return 2;
    }
    io.err(err instanceof StartError ? err.message : `leakguard failed: ${(err as Error).message}`);
    return 1;
  }
}

async function command(argv: string[], io: Io, serveOptions: ServeOptions & { scrubber: Scrubber }): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    io.out(HELP);
    return values.help ? 0 : 2;
  }
  const load = (path: string) => checked(path, serveOptions.responders ?? defaultResponders);
  if (command === 'config' && rest[0] === 'check' && rest[1]) {
    const warnings = configWarnings(load(rest[1]), process.env);
    io.out(warnings.length ? `${rest[1]}: valid, with ${warnings.length} warning(s):\n${warnings.map((w) => `  - ${w}`).join('\n')}` : `${rest[1]}: valid`);
    return 0;
  }
  if (command === 'rules' && rest[0] === 'check' && rest[1]) return rulesCheck(rest[1], io);
  if (command === 'token' && rest[0]) {
    const role = rest[1] ?? 'viewer';
    if (!(ROLES as readonly string[]).includes(role)) {
      io.err(`unknown role ${role}; use one of ${ROLES.join(', ')}`);
      return 2;
    }
    const token = randomBytes(32).toString('base64url');
    // Only the hash goes to the config; the token is shown this once.
    io.out(`token (give it to ${rest[0]}; it is not shown again): ${token}\nadd under api.tokens:\n  - { name: ${JSON.stringify(rest[0])}, sha256: ${tokenSha256(token)}, roles: [${role}] }`);
    return 0;
  }
  if (command === 'serve' || command === 'check' || (command === 'postmortem' && rest[0])) {
    const path = values.config ?? process.env.LEAKGUARD_CONFIG;
    if (!path) {
      io.err(`leakguard ${command} needs a config file: pass --config FILE or set LEAKGUARD_CONFIG (see infra/examples/leakguard.yaml)`);
      return 2;
    }
    if (command === 'check') return check(load(path), io, serveOptions.scrubber);
    if (command === 'postmortem') return printPostMortem(load(path), rest[0]!, values.json === true, io, serveOptions.scrubber);
    const running = await serve(load(path), serveOptions);
    running.leakguard.logger.info({ url: running.url }, 'LeakGuard listening');
    return -1; // keep running until a signal
  }
  io.err(`unknown command: ${positionals.join(' ')}\n\n${HELP}`);
  return 2;
}

/**
 * The config, with every playbook (defaults and overrides) checked against the responders'
 * params and then, step by step, against what every credential's exchange can do over the API.
 */
function checked(path: string, responders: ResponderRegistry): ReturnType<typeof loadConfig> {
  const config = loadConfig(path);
  const problems = checkPlaybooks(config.playbooks, responders);
  if (!problems.length) {
    // Adapters only: building one calls nothing.
    const exchanges = createExchanges(config, { clock: systemClock, scrubber: new Scrubber() });
    problems.push(...checkNeeds(config.playbooks, config.credentials, (c) => exchanges.exchangeFor(c).capabilities, responders));
  }
  if (problems.length) throw new ConfigError(path, problems);
  // The rules it names (or the shipped ones) must load too: LeakGuard would not start without them.
  loadRules(config.rulesFile);
  return config;
}

/** Validates a rules file, then runs its examples: each prints the rule that matched and the decision. */
function rulesCheck(path: string, io: Io): number {
  const { file } = loadRules(path);
  const results = runRuleTests(file);
  for (const r of results) io.out(`${r.mismatches.length ? 'FAIL' : 'ok  '} ${r.name}: ${describeOutcome(r.outcome)}`);
  const failed = results.filter((r) => r.mismatches.length);
  for (const r of failed) io.err(`${path}: test "${r.name}": ${r.mismatches.join('; ')}`);
  io.out(failed.length ? `${path}: ${failed.length} of ${results.length} test(s) failed` : `${path}: valid, ${file.rules.length} rule(s), ${results.length} test(s) passed`);
  return failed.length ? 2 : 0;
}

async function check(config: ReturnType<typeof loadConfig>, io: Io, scrubber: Scrubber): Promise<number> {
  const { clients } = await wireClients(config, { scrubber, logger: createLogger(scrubber, { destination: pino.destination(2), level: 'warn' }) });
  try {
    const problems = await checkCredentials(config.credentials, clients);
    for (const p of problems) io.err(`${p.credentialId}: ${p.problem}`);
    io.out(problems.length ? `${problems.length} problem(s); fix them before relying on LeakGuard for these credentials` : `all ${config.credentials.length} credential(s) ready`);
    return problems.length ? 1 : 0;
  } finally {
    clients.close();
  }
}

/** The store's records of one incident as a post-mortem; the store is opened (and migrated) like serve opens it. */
async function printPostMortem(config: ReturnType<typeof loadConfig>, incidentId: string, json: boolean, io: Io, scrubber: Scrubber): Promise<number> {
  const store = await openStore({ url: config.store.url, scrubber });
  try {
    const record = await readIncidentRecord(store, incidentId);
    if (!record) {
      io.err(`no incident ${incidentId} in the store ${isPostgresUrl(config.store.url) ? '(PostgreSQL)' : config.store.url}; list incidents with GET /v1/incidents`);
      return 1;
    }
    const pm = postMortem(record);
    io.out(json ? JSON.stringify(pm, null, 2) : postMortemMarkdown(pm));
    return 0;
  } finally {
    await store.close();
  }
}

/** Run as a program (not imported by a test): exit with the command's code. */
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const code = await main(process.argv.slice(2));
  // A failed start has closed what it opened; exit anyway so that nothing forgotten can hang the process.
  if (code >= 0) process.exit(code);
}
