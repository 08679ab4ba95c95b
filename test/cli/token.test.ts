import t from 'tap';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { tokenMatches } from '../../src/http/bearer.js';
import { main } from '../../src/main.js';

t.test('leakguard token prints a new random token and the api.tokens line with its hash', async (t) => {
  const runs = [];
  for (let i = 0; i < 2; i++) {
    let out = '';
    t.equal(await main(['token', 'ci-bot', 'operator'], { out: (s) => (out += s), err: () => {} }), 0);
    const token = /: (\S+)\n/.exec(out)![1]!;
    const line = parse(out.split('add under api.tokens:\n')[1]!) as { name: string; sha256: string; roles: string[] }[];
    const config = parseConfig({ api: { tokens: line } });
    t.same(config.api.tokens[0], { name: 'ci-bot', sha256: line[0]!.sha256, roles: ['operator'] }, 'the line is valid config');
    t.ok(tokenMatches(token, line[0]!.sha256), 'its hash is of the token');
    t.notOk(out.split('add under')[1]!.includes(token), 'the config line holds no token');
    runs.push(token);
  }
  t.not(runs[0], runs[1], 'a new token each time');
  let err = '';
  t.equal(await main(['token', 'x', 'root'], { out: () => {}, err: (s) => (err += s) }), 2);
  t.match(err, 'unknown role root; use one of viewer, operator, admin');
});
