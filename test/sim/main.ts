import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_REGION } from './aws/json-protocol.js';
import { AWS_TEST_CREDENTIALS, startWorld, WORLD } from './world.js';

/**
 * `npm run sim`: starts every simulator with the runbook's setup and the simulated bot, prints
 * how to talk to them: their base URLs, the AWS credentials they accept, the Kubernetes bearer
 * token, the Slack webhook and the GitHub token (with --ports-file FILE, the same as JSON), until stopped.
 */
const { values } = parseArgs({ options: { 'ports-file': { type: 'string' }, delivery: { type: 'string', default: 'direct' } } });
const delivery = values.delivery === 'external-secrets' ? 'external-secrets' : 'direct';
const world = await startWorld({ delivery });
/** Every URL under its simulator's name, then what a client needs to be let in (simulator-only credentials). */
const access = {
  ...world.urls,
  awsRegion: DEFAULT_REGION,
  awsAccessKeyId: AWS_TEST_CREDENTIALS.accessKeyId,
  awsSecretAccessKey: AWS_TEST_CREDENTIALS.secretAccessKey,
  kubernetesToken: world.kubernetes.token,
  slackWebhook: world.slackWebhook,
  githubToken: world.githubToken,
};
if (values['ports-file']) writeFileSync(values['ports-file'], `${JSON.stringify(access, null, 2)}\n`);
for (const [name, url] of Object.entries(world.urls)) console.log(`${name.padEnd(15)} ${url}`);
console.log(`slack webhook   ${access.slackWebhook}`);
console.log(`kubernetes      bearer token "${access.kubernetesToken}", deployment ${WORLD.namespace}/${WORLD.deployment} (${delivery} delivery)`);
console.log(`github          token "${access.githubToken}" (repo, admin:org_hook), repository ${WORLD.githubOrg}/${WORLD.githubRepo}`);
console.log(`aws             access key ${access.awsAccessKeyId}, secret key ${access.awsSecretAccessKey}, region ${access.awsRegion} (simulator-only credentials)`);
console.log('simulators running; Ctrl-C stops them');

const stop = () =>
  void world.close().then(() => {
    console.log('simulators stopped');
    process.exit(0);
  });
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
