import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { RulesFile } from './rules.js';

/** Every problem of a rules file, each naming the file, the rule (or test) and the field. */
export class RulesError extends Error {
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super(`${file} is not a valid rules file:\n${problems.map((p) => `  - ${p}`).join('\n')}\nFix these and run \`leakguard rules check ${file}\` again.`);
    this.name = 'RulesError';
    this.problems = problems;
  }
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true });
const validate = ajv.compile<RulesFile>(RulesFile);

/** Parses and validates a rules file's text (defaults applied); throws RulesError listing every problem. */
export function parseRules(text: string, file: string): RulesFile {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new RulesError(file, [`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  const value = structuredClone(doc ?? {}) as Record<string, unknown>;
  if (!validate(value)) throw new RulesError(file, problemsOf(validate.errors ?? [], value, file));
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const r of value.rules) {
    if (seen.has(r.name)) problems.push(`${file}: rule ${r.name}: name: used by an earlier rule; names must be unique`);
    seen.add(r.name);
    if (r.window && r.window.distinctSources > r.window.count) problems.push(`${file}: rule ${r.name}: window.distinctSources: ${r.window.distinctSources} sources need a count of at least as many signals (count is ${r.window.count})`);
    if (r.approval && (r.playbook === 'alert' || r.playbook === 'none')) problems.push(`${file}: rule ${r.name}: approval: ${r.playbook} runs no playbook, so there is nothing to approve`);
  }
  for (const t of value.tests) {
    if (t.expect.rule && !seen.has(t.expect.rule)) problems.push(`${file}: test "${t.name}": expect.rule: no rule named ${t.expect.rule}`);
  }
  if (problems.length) throw new RulesError(file, problems);
  return value;
}

/** "file: rule NAME: match.kind: must be string" from an Ajv error at /rules/3/match/kind. */
function problemsOf(errors: ErrorObject[], doc: Record<string, unknown>, file: string): string[] {
  const out = new Set<string>();
  for (const e of errors) {
    // A failed union repeats every branch's complaint; its own anyOf line says enough.
    if (errors.some((o) => o !== e && o.keyword === 'anyOf' && e.instancePath.startsWith(o.instancePath) && e.schemaPath.startsWith(o.schemaPath.replace(/\/anyOf$/, '/anyOf/')))) continue;
    const parts = e.instancePath.split('/').slice(1);
    if (e.keyword === 'required') parts.push((e.params as { missingProperty: string }).missingProperty);
    if (e.keyword === 'additionalProperties') parts.push((e.params as { additionalProperty: string }).additionalProperty);
    const [section, index, ...field] = parts;
    const what = e.keyword === 'required' ? 'required' : e.keyword === 'additionalProperties' ? 'unknown field' : e.keyword === 'anyOf' ? `must be one of the allowed forms${allowed(e)}` : (e.message ?? 'invalid');
    if ((section === 'rules' || section === 'tests') && index !== undefined && field.length) {
      const item = (doc[section] as Array<{ name?: unknown }> | undefined)?.[Number(index)];
      const name = typeof item?.name === 'string' ? item.name : `#${Number(index) + 1} (no name)`;
      out.add(`${file}: ${section === 'rules' ? `rule ${name}` : `test "${name}"`}: ${field.join('.')}: ${what}`);
    } else {
      out.add(`${file}: ${parts.join('.') || '(top level)'}: ${what}`);
    }
  }
  return [...out];
}

/** What a union allows: its constants ("break-glass", "emergency", ...), or its forms (a string, a list of strings). */
function allowed(e: ErrorObject): string {
  type Branch = { const?: unknown; type?: string; items?: Branch; anyOf?: Branch[] };
  const branches = ((e.parentSchema as { anyOf?: Branch[] } | undefined)?.anyOf ?? []).flatMap((b) => (b.anyOf && b.const === undefined ? b.anyOf : [b]));
  if (branches.length && branches.every((b) => b.const !== undefined)) return ` (${branches.map((b) => JSON.stringify(b.const)).join(', ')})`;
  const form = (b: Branch): string => (b.const !== undefined ? JSON.stringify(b.const) : b.type === 'array' ? `a list of ${b.items ? form(b.items).replace(/^an? /, '') + 's' : 'values'}` : b.type ? `${/^[aeiou]/.test(b.type) ? 'an' : 'a'} ${b.type}` : 'a value');
  return branches.length ? `: ${branches.map(form).join(' or ')}` : '';
}
