import { readFileSync } from 'node:fs';
import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { ManualClock } from '../../../src/core/clock.js';
import type { Deployment } from './deployments.js';
import { KubernetesSim, type KubernetesSimOptions, type SeedDeployment } from './server.js';

/** Shared setup of the Kubernetes simulator tests (test/sim/kubernetes*.test.ts). */

const FIXTURES = new URL('../../../../shared/fixtures/kubernetes/', import.meta.url);

export const fixtureText = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');
export const fixture = (name: string) => JSON.parse(fixtureText(name));

/** The kubectl testdata Deployment (nginx in edit-test) as a manifest: what a user would have applied. */
export function nginxManifest(replicas = 3): Pick<Deployment, 'metadata' | 'spec'> {
  const d = fixture('deployment.get-status.kubectl-testdata.0.response.json') as Deployment;
  return {
    metadata: { name: d.metadata.name, namespace: d.metadata.namespace, labels: d.metadata.labels },
    spec: { ...d.spec, replicas },
  };
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function startSim(t: Teardown, opts: KubernetesSimOptions = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const sim = new KubernetesSim({ clock, podStartMs: 5000, ...opts });
  await sim.start();
  t.teardown(() => sim.close());
  const kc = sim.kubeConfig('edit-test');
  return {
    sim,
    clock,
    kc,
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    seedNginx: (replicas = 3, seed: SeedDeployment = {}) => sim.addDeployment(nginxManifest(replicas), seed),
  };
}

/** Advances the clock in steps, ticking the simulator after each, as a polling client would see it. */
export async function advance(sim: KubernetesSim, clock: ManualClock, ms: number, step = 1000): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    await clock.advance(Math.min(step, ms - done));
    sim.tick();
  }
}

/** The status body of an ApiException from client-node (its body is the response text). */
export function statusOf(e: unknown): { code: number; reason: string; message: string; [k: string]: unknown } {
  const body = (e as { body?: unknown }).body;
  return typeof body === 'string' ? JSON.parse(body) : (body as never);
}
