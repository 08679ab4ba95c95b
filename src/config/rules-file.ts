import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRules, RulesError } from '../engine/parse.js';
import type { RulesFile } from '../engine/rules.js';

const SHIPPED = join('infra', 'examples', 'rules.yaml');

/** The shipped default rules: infra/examples/rules.yaml of the installation (the repository, or the image's /app). */
export function defaultRulesPath(): string {
  // From src/config/ when run from sources, from dist/src/config/ when built: the first ancestor that holds it.
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, SHIPPED))) return join(dir, SHIPPED);
    if (dirname(dir) === dir) throw new RulesError(SHIPPED, [`${SHIPPED}: the shipped default rules are missing from this installation; set rulesFile (or LEAKGUARD_RULES_FILE) to a rules file`]);
  }
}

/** Reads and validates a rules file (the shipped defaults when `path` is absent). */
export function loadRules(path?: string): { path: string; file: RulesFile } {
  const file = path ?? defaultRulesPath();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RulesError(file, [`${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'}); check rulesFile (or LEAKGUARD_RULES_FILE)`]);
  }
  return { path: file, file: parseRules(text, file) };
}
