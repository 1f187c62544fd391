import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DevStartRequest, type DevStartParams } from '../../protocol';
import { connectSocketClient, startSocketDaemon, tempHome, until } from '../harness/daemon';
import { APP_IMAGE, DEV_IMAGE, apply, createNamespace, kubectl, kubectlJson, nhdCli, specOf, waitPodReady, waitRollout } from './support';
import { DEPLOYMENT_HPA, MANIFESTS, NAMES, comparable, container } from './workloads';

/** Dev mode's guarantees on the real cluster (issue: dev mode, items 2 and 3). */
const ns = createNamespace('nhd-dev');
const alice = nhdCli('alice@laptop');
const bob = nhdCli('bob@desk');
afterAll(() => {
  alice.stop();
  bob.stop();
  ns.dispose();
});

function devPods(app: string): any[] {
  return kubectlJson(['get', 'pods', '-n', ns.name, '-l', `nhd.dev/dev-pod=true,app=${app}`]).items.filter((p: any) => !p.metadata.deletionTimestamp);
}

beforeAll(() => {
  for (const manifest of Object.values(MANIFESTS)) apply(ns.name, manifest);
  waitRollout(ns.name, 'deployment', 'dep');
  waitRollout(ns.name, 'statefulset', 'sts');
  waitRollout(ns.name, 'daemonset', 'ds');
  waitPodReady(ns.name, 'app=job');
  waitPodReady(ns.name, 'app=pod');
});

describe.each(Object.keys(MANIFESTS))('dev mode of a %s', (kind) => {
  const name = NAMES[kind]!;
  it('starts a dev pod with the dev image and the sync sidecar, and dev end restores .spec exactly', async () => {
    const before = specOf(ns.name, kind, name);
    const start = await alice.run(['dev', 'start', `${kind}/${name}`, '-n', ns.name, '--image', DEV_IMAGE, '--json', '--local-dir', tempHome()]);
    expect(start.stderr).not.toMatch(/^nhd: /m);
    expect(start.code).toBe(0);
    const session = JSON.parse(start.stdout);
    expect(session).toMatchObject({ kind, name, namespace: ns.name, state: 'ready', image: DEV_IMAGE, container: 'app', owner: { identity: 'alice@laptop' } });
    const pod = kubectlJson(['get', 'pod', session.pod, '-n', ns.name]);
    expect(pod.spec.containers.map((c: any) => [c.name, c.image])).toEqual([['app', DEV_IMAGE], ['nhd-sync', 'docker.io/nhd/sidecar:v1']]);
    expect(pod.spec.containers[0].readinessProbe).toBeUndefined();
    expect(pod.spec.containers[0].workingDir).toBe('/home/nocalhost-dev');
    const listed = JSON.parse((await alice.run(['ls', '-n', ns.name, '--json'])).stdout).workloads.find((w: any) => w.kind === kind && w.name === name);
    expect(listed).toMatchObject({ devState: 'developing', devOwner: { identity: 'alice@laptop' } });

    const end = await alice.run(['dev', 'end', `${kind}/${name}`, '-n', ns.name]);
    expect(end.code).toBe(0);
    expect(end.stdout).toMatch(/ended; its original spec is restored/);
    expect(comparable(kind, specOf(ns.name, kind, name))).toEqual(comparable(kind, before));
    const annotations = kubectlJson(['get', kind, name, '-n', ns.name]).metadata.annotations ?? {};
    expect(Object.keys(annotations).filter((k) => k.startsWith('nhd.dev/'))).toEqual([]);
    expect(kubectl(['get', 'configmaps', '-n', ns.name, '-o', 'name'])).not.toMatch(/nhd-backup/);
  });
});

describe('a DaemonSet in dev mode', () => {
  it('runs no pod of its own; one dev pod runs in its runner Deployment, which nhd ls does not list; dev end brings its pods back', async () => {
    const start = await alice.run(['dev', 'start', 'daemonset/ds', '-n', ns.name, '--image', DEV_IMAGE, '--json']);
    expect(start.stderr).not.toMatch(/^nhd: /m);
    const pod = kubectlJson(['get', 'pod', JSON.parse(start.stdout).pod, '-n', ns.name]);
    expect(pod.metadata.ownerReferences.map((r: any) => [r.kind, r.name])).toEqual([['ReplicaSet', expect.stringMatching(/^ds-nhd-dev-/)]]);
    await until(() => kubectlJson(['get', 'daemonset', 'ds', '-n', ns.name]).status.desiredNumberScheduled === 0, 'the DaemonSet wants no pod', 30_000);
    await until(() => devPods('ds').length === 1 && kubectlJson(['get', 'pods', '-n', ns.name, '-l', 'app=ds']).items.filter((p: any) => !p.metadata.deletionTimestamp).length === 1, 'only the dev pod runs', 60_000);
    const listed = JSON.parse((await alice.run(['ls', '-n', ns.name, '--json'])).stdout).workloads.map((w: any) => `${w.kind}/${w.name}`);
    expect(listed).toContain('daemonset/ds');
    expect(listed).not.toContain('deployment/ds-nhd-dev');
    expect((await alice.run(['dev', 'end', 'daemonset/ds', '-n', ns.name])).code).toBe(0);
    expect(kubectl(['get', 'deployments', '-n', ns.name, '-o', 'name'])).not.toMatch(/ds-nhd-dev/);
    waitRollout(ns.name, 'daemonset', 'ds');
  });
});

describe('ownership and idempotence', () => {
  it('refuses a second owner by name and time, and --force takes over', async () => {
    expect((await alice.run(['dev', 'start', 'deployment/dep', '-n', ns.name, '--image', DEV_IMAGE])).code).toBe(0);
    const refused = await bob.run(['dev', 'start', 'deployment/dep', '-n', ns.name, '--image', DEV_IMAGE]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^nhd: deployment\/dep is in dev mode, started by alice@laptop less than a minute ago \(at \d{4}-\d\d-\d\dT[\d:.]+Z\); ask them to end it, or pass --force to take it over\.$/m);
    const forced = await bob.run(['dev', 'start', 'deployment/dep', '-n', ns.name, '--image', DEV_IMAGE, '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout).owner.identity).toBe('bob@desk');
    const endByAlice = await alice.run(['dev', 'end', 'deployment/dep', '-n', ns.name]);
    expect(endByAlice.code).toBe(1);
    expect(endByAlice.stderr).toMatch(/started by bob@desk .*pass --force to end it anyway/);
    expect((await bob.run(['dev', 'end', 'deployment/dep', '-n', ns.name])).code).toBe(0);
  });

  it('is idempotent: a second start keeps the same dev pod; ending a workload not in dev mode is a clear no-op', async () => {
    const first = JSON.parse((await alice.run(['dev', 'start', 'deployment/dep', '-n', ns.name, '--image', DEV_IMAGE, '--json'])).stdout);
    const second = JSON.parse((await alice.run(['dev', 'start', 'deployment/dep', '-n', ns.name, '--image', DEV_IMAGE, '--json'])).stdout);
    expect(second.pod).toBe(first.pod);
    expect(second.owner.since).toBe(first.owner.since);
    expect(devPods('dep')).toHaveLength(1);
    expect((await alice.run(['dev', 'end', 'deployment/dep', '-n', ns.name])).code).toBe(0);
    const again = await alice.run(['dev', 'end', 'deployment/dep', '-n', ns.name]);
    expect(again).toMatchObject({ code: 0, stdout: `deployment/dep is not in dev mode in namespace ${ns.name}; nothing to do.\n` });
    const missing = await alice.run(['dev', 'end', 'deployment/nope', '-n', ns.name]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/deployment\/nope was not found in namespace/);
  });
});

/** Every test below starts from workloads that are not in dev mode, whatever happened before. */
async function endAll(): Promise<void> {
  for (const ref of ['deployment/dep', 'pod/pod', 'deployment/crashy']) await bob.run(['dev', 'end', ref, '-n', ns.name, '--force']);
}

describe('failures', () => {
  beforeEach(endAll);
  it('an image that cannot be pulled fails dev start within a bounded time with the pod’s reason, and dev end restores', async () => {
    const before = specOf(ns.name, 'deployment', 'dep');
    const started = Date.now();
    const result = await alice.run(['dev', 'start', 'deployment/dep', '-n', ns.name, '--image', 'docker.io/nhd/no-such-image:v9', '--timeout', '60']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Dev mode for deployment\/dep failed: container app of pod dep-\S+: (ErrImagePull|ImagePullBackOff|ErrImageNeverPull)/);
    expect(result.stderr).toMatch(/nhd dev end deployment\/dep -n /);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect((await alice.run(['dev', 'end', 'deployment/dep', '-n', ns.name])).code).toBe(0);
    expect(specOf(ns.name, 'deployment', 'dep')).toEqual(before);
  });

  it('a failed dev start does not keep an idle daemon alive', async () => {
    const daemon = await startSocketDaemon(tempHome(), ['--idle-timeout', '2'], { NHD_IDENTITY: 'alice@laptop', KUBECONFIG: process.env['KUBECONFIG']! });
    const client = await connectSocketClient(daemon.socketPath);
    try {
      const failed = await client.connection
        .sendRequest(DevStartRequest.type, { kind: 'deployment', name: 'dep', namespace: ns.name, image: 'docker.io/nhd/no-such-image:v9', timeoutSeconds: 60 } satisfies DevStartParams)
        .then(() => undefined, (error: Error) => error);
      expect(failed?.message).toMatch(/failed/);
      client.dispose();
      await until(() => daemon.process.exitCode !== null, 'the daemon exits once idle', 15_000);
    } finally {
      client.dispose();
      await daemon.stop();
    }
    expect((await alice.run(['dev', 'end', 'deployment/dep', '-n', ns.name])).code).toBe(0);
  });

  it('a container that crashes fails dev start with its exit code', async () => {
    apply(ns.name, `apiVersion: apps/v1
kind: Deployment
metadata: {name: crashy}
spec:
  selector: {matchLabels: {app: crashy}}
  template:
    metadata: {labels: {app: crashy}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [${container('app')}, {name: helper, image: "${APP_IMAGE}", imagePullPolicy: Never, command: [sh, -c, "exit 3"]}]`);
    const before = specOf(ns.name, 'deployment', 'crashy');
    const result = await alice.run(['dev', 'start', 'deployment/crashy', '-n', ns.name, '--image', DEV_IMAGE, '--timeout', '90']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/container helper of pod crashy-\S+ (exited with code 3|: CrashLoopBackOff)/);
    expect((await alice.run(['dev', 'end', 'deployment/crashy', '-n', ns.name])).code).toBe(0);
    expect(specOf(ns.name, 'deployment', 'crashy')).toEqual(before);
  });
});

describe('HPA and persistent volumes', () => {
  beforeEach(endAll);
  it('holds an HPA at one replica during dev mode and restores it after', async () => {
    apply(ns.name, DEPLOYMENT_HPA);
    expect((await alice.run(['dev', 'start', 'deployment/dep', '-n', ns.name, '--image', DEV_IMAGE])).code).toBe(0);
    expect(specOf(ns.name, 'hpa', 'dep')).toMatchObject({ minReplicas: 1, maxReplicas: 1 });
    expect((await alice.run(['dev', 'end', 'deployment/dep', '-n', ns.name])).code).toBe(0);
    expect(specOf(ns.name, 'hpa', 'dep')).toMatchObject({ minReplicas: 2, maxReplicas: 4 });
    expect(kubectlJson(['get', 'hpa', 'dep', '-n', ns.name]).metadata.annotations?.['nhd.dev/hpa-backup']).toBeUndefined();
    kubectl(['delete', 'hpa', 'dep', '-n', ns.name]);
  });

  it('waits for a new claim to be bound: one that never is fails dev start before the workload changed; waitForFirstConsumer does not wait', async () => {
    // A class no provisioner serves: its claims stay Pending.
    const storageClass = `nhd-unbound-${ns.name}`;
    apply(ns.name, `apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: ${storageClass}}\nprovisioner: nhd.dev/nobody\nvolumeBindingMode: Immediate\n`);
    try {
      const before = specOf(ns.name, 'deployment', 'dep');
      const config = (extra: string) => {
        const localDir = tempHome();
        fs.mkdirSync(path.join(localDir, '.nocalhost'));
        fs.writeFileSync(path.join(localDir, '.nocalhost', 'config.yaml'), `name: dep\nserviceType: deployment\ncontainers:\n  - name: app\n    dev:\n      image: ${DEV_IMAGE}\n      storageClass: ${storageClass}\n      persistentVolumeDirs:\n        - path: /unbound\n${extra}`);
        return localDir;
      };
      const failed = await alice.run(['dev', 'start', 'deployment/dep', '-n', ns.name, '--local-dir', config(''), '--timeout', '5']);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/^nhd: The persistent volume claim for \/unbound \(nhd-dep-\w+, StorageClass nhd-unbound-[\w-]+\) was not bound within 5 s.*; nhd deleted it and changed nothing else\./m);
      expect(kubectlJson(['get', 'pvc', '-n', ns.name]).items.filter((c: any) => c.metadata.annotations['nhd.dev/path'] === '/unbound')).toEqual([]);
      expect(specOf(ns.name, 'deployment', 'dep')).toEqual(before);

      // Told the claim binds on first use, dev start goes on to the pod (which cannot be scheduled on this class).
      const unwaited = await alice.run(['dev', 'start', 'deployment/dep', '-n', ns.name, '--local-dir', config('          waitForFirstConsumer: true\n'), '--timeout', '5']);
      expect(unwaited.stderr).not.toMatch(/waiting for the persistent volume claim/);
      expect(unwaited.stderr).toMatch(/The dev pod of deployment\/dep was not ready within 5 s/);
      expect((await alice.run(['dev', 'end', 'deployment/dep', '-n', ns.name])).code).toBe(0);
      expect(specOf(ns.name, 'deployment', 'dep')).toEqual(before);
    } finally {
      kubectl(['delete', 'pvc', '-n', ns.name, '--all']);
      kubectl(['delete', 'storageclass', storageClass]);
    }
  });

  it('gives persistentVolumeDirs a PVC that survives dev end', async () => {
    const localDir = tempHome();
    fs.mkdirSync(path.join(localDir, '.nocalhost'));
    fs.writeFileSync(
      path.join(localDir, '.nocalhost', 'config.yaml'),
      `name: dep\nserviceType: deployment\ncontainers:\n  - name: app\n    dev:\n      image: ${DEV_IMAGE}\n      workDir: /src\n      persistentVolumeDirs:\n        - path: /cache\n          capacity: 1Gi\n`,
    );
    const first = await alice.run(['dev', 'start', 'deployment/dep', '-n', ns.name, '--local-dir', localDir, '--json']);
    expect(first.stderr).not.toMatch(/^nhd: /m);
    const pod = JSON.parse(first.stdout).pod;
    kubectl(['exec', '-n', ns.name, pod, '-c', 'app', '--', 'sh', '-c', 'echo kept > /cache/marker']);
    expect((await alice.run(['dev', 'end', 'deployment/dep', '-n', ns.name])).code).toBe(0);
    const claims = kubectlJson(['get', 'pvc', '-n', ns.name]).items;
    expect(claims.map((c: any) => c.metadata.annotations['nhd.dev/path'])).toEqual(['/cache']);
    const second = JSON.parse((await alice.run(['dev', 'start', 'deployment/dep', '-n', ns.name, '--local-dir', localDir, '--json'])).stdout);
    expect(kubectl(['exec', '-n', ns.name, second.pod, '-c', 'app', '--', 'cat', '/cache/marker'])).toBe('kept\n');
    expect((await alice.run(['dev', 'end', 'deployment/dep', '-n', ns.name])).code).toBe(0);
  });
});

