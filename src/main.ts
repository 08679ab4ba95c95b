#!/usr/bin/env node
import { parseArgs } from 'node:util';
import pino from 'pino';
import { checkCredentials } from './checks/credentials.js';
import { ConfigError, loadConfig } from './config/load.js';
import { systemClock } from './core/clock.js';
import { Scrubber } from './core/scrubber.js';
import { createLogger } from './http/logger.js';
import { serve } from './http/serve.js';
import { createClients } from './integrations/clients.js';
import { checkPlaybooks } from '../responders/playbooks.js';
import { responders } from '../responders/registry.js';

const HELP = `leakguard: detects leaked or abused exchange API keys and responds on its own.

Usage:
  leakguard serve [--config FILE]     run the service (config: --config or LEAKGUARD_CONFIG)
  leakguard config check FILE         validate a config file and exit (0 valid, 2 invalid)
  leakguard check [--config FILE]     the startup check against the real systems: egress IPs on
                                      each key, master keys able to create keys and not withdraw
                                      (0 ready, 1 problems listed per credential)
  leakguard --help                    this text

Environment overrides (deployment-specific values): see README.md, "Configuration".
Exit codes: 0 ok, 1 runtime failure, 2 invalid configuration or usage.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  if (command === 'config' && rest[0] === 'check' && rest[1]) {
    load(rest[1]);
    console.log(`${rest[1]}: valid`);
    return 0;
  }
  if (command === 'serve' || command === 'check') {
    const path = values.config ?? process.env.LEAKGUARD_CONFIG;
    if (!path) {
      console.error(`leakguard ${command} needs a config file: pass --config FILE or set LEAKGUARD_CONFIG (see infra/examples/leakguard.yaml)`);
      return 2;
    }
    if (command === 'check') return check(load(path));
    const running = await serve(load(path));
    running.app.log.info({ url: running.url }, 'LeakGuard listening');
    return -1; // keep running until a signal
  }
  console.error(`unknown command: ${positionals.join(' ')}\n\n${HELP}`);
  return 2;
}

/** The config, with every playbook (defaults and overrides) checked against the responders' params. */
function load(path: string): ReturnType<typeof loadConfig> {
  const config = loadConfig(path);
  const problems = checkPlaybooks(config.playbooks, responders);
  if (problems.length) throw new ConfigError(path, problems);
  return config;
}

async function check(config: ReturnType<typeof loadConfig>): Promise<number> {
  const scrubber = new Scrubber();
  const logger = createLogger(scrubber, { destination: pino.destination(2), level: 'warn' });
  const clients = createClients(config, { clock: systemClock, scrubber, logger });
  try {
    const problems = await checkCredentials(config.credentials, clients);
    for (const p of problems) console.error(scrubber.scrub(`${p.credentialId}: ${p.problem}`));
    console.log(problems.length ? `${problems.length} problem(s); fix them before relying on LeakGuard for these credentials` : `all ${config.credentials.length} credential(s) ready`);
    return problems.length ? 1 : 0;
  } finally {
    clients.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exitCode = 2;
      return;
    }
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(err as Error).message}\n\n${HELP}`);
      process.exitCode = 2;
      return;
    }
    console.error(`leakguard failed: ${(err as Error).message}`);
    process.exitCode = 1;
  },
);
