import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AWS_TEST_CREDENTIALS, startWorld, WORLD } from './world.js';

/**
 * `npm run sim`: starts every simulator with the runbook's setup and the simulated bot,
 * prints their base URLs (and, with --ports-file FILE, writes them as JSON), until stopped.
 */
const { values } = parseArgs({ options: { 'ports-file': { type: 'string' }, delivery: { type: 'string', default: 'direct' } } });
const delivery = values.delivery === 'external-secrets' ? 'external-secrets' : 'direct';
const world = await startWorld({ delivery });
if (values['ports-file']) writeFileSync(values['ports-file'], `${JSON.stringify({ ...world.urls, githubToken: world.githubToken }, null, 2)}\n`);
for (const [name, url] of Object.entries(world.urls)) console.log(`${name.padEnd(15)} ${url}`);
console.log(`slack webhook   ${world.slackWebhook}`);
console.log(`kubernetes      bearer token "${world.kubernetes.token}", deployment ${WORLD.namespace}/${WORLD.deployment} (${delivery} delivery)`);
console.log(`github          token "${world.githubToken}" (repo, admin:org_hook), repository ${WORLD.githubOrg}/${WORLD.githubRepo}`);
console.log(`aws             access key ${AWS_TEST_CREDENTIALS.accessKeyId} (simulator-only credentials)`);
console.log('simulators running; Ctrl-C stops them');

const stop = () =>
  void world.close().then(() => {
    console.log('simulators stopped');
    process.exit(0);
  });
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
