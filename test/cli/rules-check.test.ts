import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type Io } from '../../src/main.js';
import { defaultRulesPath } from '../../src/config/rules-file.js';

const shipped = new URL('../../infra/examples/rules.yaml', import.meta.url).pathname;

function run() {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (s) => void out.push(s), err: (s) => void err.push(s) };
  return { io, out: () => out.join('\n'), err: () => err.join('\n') };
}

function rulesFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'leakguard-rules-')), 'rules.yaml');
  writeFileSync(file, text);
  return file;
}

t.test('the shipped rules pass, each test printing the rule that matched and the decision', async (t) => {
  const r = run();
  t.equal(await main(['rules', 'check', shipped], r.io), 0, r.err());
  t.match(r.out(), /ok {3}a public leak gives break-glass: open break-glass, severity critical, rule confirmed-leak/);
  t.match(r.out(), /ok {3}a leak of the master key gives lockdown and a page: open lockdown, severity page, rule master-key-leak/);
  t.match(r.out(), /valid, 11 rule\(s\), \d+ test\(s\) passed/);
  t.equal(r.err(), '');
  t.equal(defaultRulesPath(), shipped, 'the shipped file is the default when the config names none');
});

t.test('an unknown playbook and a kind that is not a string: file, rule name and field', async (t) => {
  const file = rulesFile(['rules:', '  - name: first-rule', '    match: { kind: 42 }', '    playbook: break-glass', '  - name: second-rule', '    match: { kind: x }', '    playbook: explode', ''].join('\n'));
  const r = run();
  t.equal(await main(['rules', 'check', file], r.io), 2);
  t.match(r.err(), `${file}: rule first-rule: match.kind: must be one of the allowed forms: a string or a list of strings`);
  t.match(r.err(), `${file}: rule second-rule: playbook: must be one of the allowed forms ("break-glass"`);
  t.match(r.err(), `run \`leakguard rules check ${file}\` again`, 'says what to do next');
});

t.test('unknown fields, missing fields, duplicate names, a window that cannot be met, bad YAML, a missing file', async (t) => {
  const cases: Array<[string, string]> = [
    ['rules:\n  - { name: a, match: { kynd: x }, playbook: emergency }\n', 'rule a: match.kynd: unknown field'],
    ['rules:\n  - { name: a, match: {} }\n', 'rule a: playbook: required'],
    ['rules:\n  - { match: {}, playbook: emergency }\n', 'rule #1 (no name): name: required'],
    ['rules:\n  - { name: a, match: {}, playbook: emergency }\n  - { name: a, match: {}, playbook: lockdown }\n', 'rule a: name: used by an earlier rule'],
    ['rules:\n  - { name: a, match: {}, playbook: emergency, window: { minutes: 5, count: 1, distinctSources: 2 } }\n', 'rule a: window.distinctSources: 2 sources need a count'],
    ['rules:\n  - { name: a, match: {}, playbook: alert, approval: true }\n', 'rule a: approval: alert runs no playbook'],
    ['rules: [\n', 'not valid YAML'],
    ['tests: []\n', 'rules: required'],
  ];
  for (const [text, problem] of cases) {
    const file = rulesFile(text);
    const r = run();
    t.equal(await main(['rules', 'check', file], r.io), 2, problem);
    t.match(r.err(), `${file}: ${problem}`);
  }
  const r = run();
  t.equal(await main(['rules', 'check', '/nonexistent/rules.yaml'], r.io), 2);
  t.match(r.err(), '/nonexistent/rules.yaml: cannot read the file (ENOENT)');
});

t.test("a failing example names the file, the test and the field, and what came out", async (t) => {
  const file = rulesFile(
    [
      'rules:',
      '  - { name: leak, match: { kind: "github.*" }, playbook: emergency }',
      'tests:',
      '  - name: public leak',
      '    signals: [{ kind: github.secret.public_leak, source: github, confidence: confirmed }]',
      '    expect: { action: open, rule: leak, playbook: break-glass }',
      '  - name: no such rule',
      '    signals: [{ kind: x, source: y }]',
      '    expect: { action: ignore, rule: ghost }',
      '',
    ].join('\n'),
  );
  const r = run();
  t.equal(await main(['rules', 'check', file], r.io), 2);
  t.match(r.err(), `${file}: test "no such rule": expect.rule: no rule named ghost`, 'a test naming a rule that does not exist is a schema problem');
  const fixed = rulesFile(['rules:', '  - { name: leak, match: { kind: "github.*" }, playbook: emergency }', 'tests:', '  - name: public leak', '    signals: [{ kind: github.secret.public_leak, source: github, confidence: confirmed }]', '    expect: { action: open, rule: leak, playbook: break-glass }', ''].join('\n'));
  const f = run();
  t.equal(await main(['rules', 'check', fixed], f.io), 2);
  t.match(f.out(), 'FAIL public leak: open emergency, severity critical, rule leak');
  t.match(f.err(), `${fixed}: test "public leak": expect.playbook: expected "break-glass", got "emergency"`);
  t.match(f.out(), '1 of 1 test(s) failed');
});
