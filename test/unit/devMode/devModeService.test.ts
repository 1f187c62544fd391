import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode, type WorkloadKind } from '../../../protocol';
import { ANNOTATION, DEV_POD_LABEL, RUNNER_LABEL, backupConfigMapName, runnerName } from '../../../server/devMode/annotations';
import { claimNameOf } from '../../../server/devMode/clusterOps';
import { endSteps, startSteps } from '../../../server/devMode/devSteps';
import { KINDS, WORKLOAD_KINDS } from '../../../server/devMode/kinds';
import { SIDECAR_NAME } from '../../../server/devMode/plan';
import { replaceMode } from '../../../server/devMode/replaceMode';
import { stepPercentages } from '../../../server/devMode/steps';
import { NhdError } from '../../../server/errors';
import { WorkloadsService } from '../../../server/workloads';
import type { KubeObject } from '../../../server/ports';
import { FakeCluster, conflictOnReplace, createFailsAfterDelete, failingWatch, podStatus } from '../../fakes/fakeCluster';
import { ALICE, BOB, DEV_IMAGE, NS, RecordingProgress, harness, isStrictlyIncreasing, never, projectWithConfig, specOf, syncStatus, workload } from './support';

const CONFIG_MAP = { apiVersion: 'v1', kind: 'ConfigMap' };
const HPA = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' };
const PVC = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' };
const RECREATED = WORKLOAD_KINDS.filter((k) => KINDS[k].strategy === 'recreate');

const START_PLAN = ['read workload', 'ownership', 'dev settings', 'open session', 'claims', 'plan dev spec', 'hold HPAs', 'backup+lock', 'apply dev spec', 'wait for dev pod', 'port-forwards', 'sync'];
const END_PLAN = ['read workload', 'ownership', 'stop sync', 'restore', 'release HPAs', 'delete runner', 'stop forwards'];

function seeded(kind: WorkloadKind, cluster = new FakeCluster()) {
  cluster.seed(workload(kind));
  return { h: harness(cluster), before: specOf(cluster, kind) };
}

function devPods(cluster: FakeCluster): KubeObject[] {
  return cluster.objectsOf('Pod', NS).filter((p) => p.metadata.labels?.[DEV_POD_LABEL] === 'true');
}

async function rejection(promise: Promise<unknown>): Promise<NhdError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(NhdError);
  return error as NhdError;
}

describe('dev start and dev end are plans of named steps', () => {
  it('start and end run these steps, in this order', () => {
    expect(startSteps(replaceMode).map((s) => s.name)).toEqual(START_PLAN);
    expect(endSteps(replaceMode).map((s) => s.name)).toEqual(END_PLAN);
  });

  it('every step has a place on the bar, strictly after the one before, from 0', () => {
    for (const steps of [startSteps(replaceMode), endSteps(replaceMode)]) {
      const at = stepPercentages(steps);
      expect(at[0]).toBe(0);
      expect(isStrictlyIncreasing(at)).toBe(true);
      expect(at.at(-1)).toBeLessThan(100);
    }
    // The backup comes before the dev spec, the dev spec before the pod wait.
    const at = stepPercentages(startSteps(replaceMode));
    expect(at[START_PLAN.indexOf('backup+lock')]).toBe(15);
    expect(at[START_PLAN.indexOf('apply dev spec')]).toBe(30);
    expect(at[START_PLAN.indexOf('wait for dev pod')]).toBe(45);
  });
});

describe.each(WORKLOAD_KINDS)('%s: start then end', (kind) => {
  it('starts a dev pod with strictly increasing progress, and end restores .spec exactly', async () => {
    const { h, before } = seeded(kind);
    const progress = new RecordingProgress();
    const session = await h.service.start(h.scope, { kind, name: kind, image: DEV_IMAGE }, progress, never);

    expect(session).toMatchObject({ state: 'ready', kind, name: kind, container: 'app', image: DEV_IMAGE, owner: { identity: ALICE } });
    const pod = h.cluster.object('Pod', NS, session.pod!);
    expect(pod?.metadata.labels?.[DEV_POD_LABEL]).toBe('true');
    expect((pod?.spec.containers as { name: string; image: string }[]).map((c) => [c.name, c.image])).toEqual([['app', DEV_IMAGE], [SIDECAR_NAME, 'docker.io/nhd/sidecar:v1']]);
    expect(isStrictlyIncreasing(progress.percentages())).toBe(true);
    expect(progress.events[0]).toEqual({ kind: 'begin', message: `reading ${kind}/${kind}`, percentage: 0 });
    expect(progress.events.at(-1)).toEqual({ kind: 'done', message: `${kind}/${kind} is in dev mode (pod ${session.pod})` });
    expect(progress.messages()).toContainEqual(expect.stringMatching(/^backing up the original/));
    // No config, no localDir: nothing to forward or sync.
    expect(h.steps).toEqual(START_PLAN.filter((s) => s !== 'port-forwards' && s !== 'sync').map((s) => `start: ${s}`));
    expect(h.service.list()).toEqual([expect.objectContaining({ id: session.id, state: 'ready' })]);

    const ending = new RecordingProgress();
    h.steps.length = 0;
    const result = await h.service.end(h.scope, { kind, name: kind }, ending, never);
    expect(result).toEqual({ ended: true, message: `Dev mode of ${kind}/${kind} ended; its original spec is restored.` });
    expect(specOf(h.cluster, kind)).toEqual(before);
    expect(h.cluster.object(KINDS[kind].type, NS, kind)?.metadata.annotations).toEqual({ team: 'core' });
    expect(h.cluster.object(CONFIG_MAP, NS, backupConfigMapName(kind, kind))).toBeUndefined();
    expect(devPods(h.cluster)).toEqual([]);
    const runner = KINDS[kind].runner;
    expect(runner && h.cluster.object(runner, NS, runnerName(kind))).toBeUndefined();
    expect(h.steps).toEqual(END_PLAN.filter((s) => KINDS[kind].runner || s !== 'delete runner').map((s) => `end: ${s}`));
    expect(isStrictlyIncreasing(ending.percentages())).toBe(true);
    expect(ending.events.at(-1)).toEqual({ kind: 'done', message: `${kind}/${kind} is restored` });
    expect(h.service.list()).toEqual([]);
    expect(h.changes.at(-1)).toMatchObject({ id: session.id, state: 'ended' });
  });

  it('writes the backup before anything changes the workload (crash safety)', async () => {
    const { h } = seeded(kind);
    await h.service.start(h.scope, { kind, name: kind, image: DEV_IMAGE }, new RecordingProgress(), never);
    const writes = h.cluster.calls.filter((c) => ['create', 'replace', 'mergePatch', 'delete'].includes(c.method));
    const backup = writes.findIndex((c) =>
      KINDS[kind].strategy === 'recreate' ? c.method === 'create' && c.type.kind === 'ConfigMap' : c.method === 'replace' && c.object?.metadata.annotations?.[ANNOTATION.backup] !== undefined,
    );
    const firstChange = writes.findIndex((c) => c.type.kind === KINDS[kind].type.kind && (c.method === 'delete' || (c.method === 'replace' && JSON.stringify(c.object?.spec) !== JSON.stringify(workload(kind).spec))));
    expect(backup).toBeGreaterThanOrEqual(0);
    expect(firstChange).toBeGreaterThan(backup);
  });

  it('a repeated start keeps the dev pod and the time it began', async () => {
    const { h } = seeded(kind);
    const first = await h.service.start(h.scope, { kind, name: kind, image: DEV_IMAGE }, new RecordingProgress(), never);
    const again = new RecordingProgress();
    const second = await h.service.start(h.scope, { kind, name: kind, image: DEV_IMAGE }, again, never);
    expect(second.pod).toBe(first.pod);
    expect(second.owner.since).toBe(first.owner.since);
    expect(devPods(h.cluster)).toHaveLength(1);
    expect(isStrictlyIncreasing(again.percentages())).toBe(true);
  });

  it('a watch that fails leaves a failed session and a workload that end restores exactly', async () => {
    const { h, before } = seeded(kind, failingWatch());
    const error = await h.service.start(h.scope, { kind, name: kind, image: DEV_IMAGE }, new RecordingProgress(), never).then(() => undefined, (e: Error) => e);
    expect(error?.message).toBe('watch connection refused by the fake');
    expect(h.service.list()).toEqual([expect.objectContaining({ state: 'failed', error: 'watch connection refused by the fake' })]);
    expect(specOf(h.cluster, kind)).not.toEqual(before);
    expect((await h.service.end(h.scope, { kind, name: kind }, new RecordingProgress(), never)).ended).toBe(true);
    expect(specOf(h.cluster, kind)).toEqual(before);
  });
});

describe('a DaemonSet in dev mode', () => {
  it('runs no pod of its own; its runner Deployment runs the one dev pod, and dev end removes the runner', async () => {
    const { h, before } = seeded('daemonset');
    const session = await h.service.start(h.scope, { kind: 'daemonset', name: 'daemonset', image: DEV_IMAGE }, new RecordingProgress(), never);
    const runner = h.cluster.object(KINDS.deployment.type, NS, runnerName('daemonset'))!;
    expect(runner.metadata.labels?.[RUNNER_LABEL]).toBe('true');
    const pods = h.cluster.objectsOf('Pod', NS);
    expect(pods.map((p) => [p.metadata.name, p.metadata.ownerReferences?.[0]?.kind])).toEqual([[session.pod, 'Deployment']]);
    expect((await new WorkloadsService().list(h.scope)).map((w) => `${w.kind}/${w.name}`)).toEqual(['daemonset/daemonset']);
    await h.service.end(h.scope, { kind: 'daemonset', name: 'daemonset' }, new RecordingProgress(), never);
    expect(h.cluster.object(KINDS.deployment.type, NS, runnerName('daemonset'))).toBeUndefined();
    expect(specOf(h.cluster, 'daemonset')).toEqual(before);
    expect(h.cluster.objectsOf('Pod', NS).map((p) => p.metadata.ownerReferences?.[0]?.kind)).toEqual(['DaemonSet']);
  });
});

describe.each(WORKLOAD_KINDS)('%s: dev.patches', (kind) => {
  // A merge patch and a JSON patch, in that order, on the workload's pod template (the Pod's own spec for a bare Pod).
  const templatePath = { deployment: '/spec/template', statefulset: '/spec/template', daemonset: '/spec/template', job: '/spec/template', cronjob: '/spec/jobTemplate/spec/template', pod: '' }[kind];
  const config = () => {
    const merge = JSON.stringify(templatePath.split('/').filter(Boolean).reduceRight<object>((inner, key) => ({ [key]: inner }), { metadata: { labels: { patched: 'merge' } } }));
    const json = JSON.stringify([{ op: 'add', path: `${templatePath}/metadata/annotations/patched`, value: 'json' }]);
    return projectWithConfig(`name: ${kind}\nserviceType: ${kind}\ncontainers:\n  - name: app\n    dev:\n      image: ${DEV_IMAGE}\n      patches:\n        - type: merge\n          patch: '${merge}'\n        - type: json\n          patch: '${json}'\n`);
  };

  it('are applied after nhd\'s changes, reach the dev pod, and dev end restores .spec exactly', async () => {
    const { h, before } = seeded(kind);
    const session = await h.service.start(h.scope, { kind, name: kind, localDir: config(), sync: false }, new RecordingProgress(), never);
    const pod = h.cluster.object('Pod', NS, session.pod!)!;
    expect(pod.metadata.labels).toMatchObject({ patched: 'merge', [DEV_POD_LABEL]: 'true' });
    expect(pod.metadata.annotations).toMatchObject({ patched: 'json' });
    expect((pod.spec.containers as { image: string }[])[0]!.image).toBe(DEV_IMAGE);
    if (kind === 'deployment') expect(specOf(h.cluster, kind)).toMatchObject({ paused: false });
    // The in-place kinds: by the API server, after the dev spec is in place; the recreated ones before their create.
    const patchCalls = h.cluster.calls.filter((c) => c.method === 'patch').length;
    expect(patchCalls).toBe(KINDS[kind].strategy === 'replace' ? 2 : 0);
    // A repeated start finds the patched dev spec in place and keeps the dev pod.
    const again = await h.service.start(h.scope, { kind, name: kind, localDir: config(), sync: false }, new RecordingProgress(), never);
    expect(again.pod).toBe(session.pod);
    await h.service.end(h.scope, { kind, name: kind }, new RecordingProgress(), never);
    expect(specOf(h.cluster, kind)).toEqual(before);
  });
});

describe.each(RECREATED)('%s: lost between its delete and its create', (kind) => {
  it('start fails, the backup ConfigMap keeps the original, and end recreates it exactly', async () => {
    const { h, before } = seeded(kind, createFailsAfterDelete());
    const error = await rejection(h.service.start(h.scope, { kind, name: kind, image: DEV_IMAGE }, new RecordingProgress(), never));
    expect(error.code).toBe(ErrorCode.KubeApi);
    expect(error.message).toMatch(/etcd timeout/);
    expect(h.cluster.object(KINDS[kind].type, NS, kind)).toBeUndefined();
    expect(h.cluster.object(CONFIG_MAP, NS, backupConfigMapName(kind, kind))).toBeDefined();

    const result = await h.service.end(h.scope, { kind, name: kind }, new RecordingProgress(), never);
    expect(result.ended).toBe(true);
    expect(specOf(h.cluster, kind)).toEqual(before);
    expect(h.cluster.object(CONFIG_MAP, NS, backupConfigMapName(kind, kind))).toBeUndefined();
  });
});

describe.each(WORKLOAD_KINDS.filter((k) => KINDS[k].runner))('%s: an end that stops right after restoring the workload', (kind) => {
  it('leaves its runner, which the next end deletes although the workload is no longer in dev mode', async () => {
    const cluster = new FakeCluster();
    const { h, before } = seeded(kind, cluster);
    const runner = KINDS[kind].runner!;
    await h.service.start(h.scope, { kind, name: kind, image: DEV_IMAGE }, new RecordingProgress(), never);
    expect(cluster.object(runner, NS, runnerName(kind))).toBeDefined();
    cluster.failNext('delete', { when: (call) => call.type.kind === runner.kind });
    await rejection(h.service.end(h.scope, { kind, name: kind }, new RecordingProgress(), never));
    expect(specOf(cluster, kind)).toEqual(before);
    expect(cluster.object(runner, NS, runnerName(kind))).toBeDefined();

    const again = await h.service.end(h.scope, { kind, name: kind }, new RecordingProgress(), never);
    expect(again.ended).toBe(false);
    expect(cluster.object(runner, NS, runnerName(kind))).toBeUndefined();
    expect(specOf(cluster, kind)).toEqual(before);
  });

  it("never deletes an object of the runner's name that is not nhd's", async () => {
    const cluster = new FakeCluster({ controllers: false });
    const { h } = seeded(kind, cluster);
    const runner = KINDS[kind].runner!;
    cluster.seed({ ...runner, metadata: { name: runnerName(kind), namespace: NS }, spec: { template: { spec: { containers: [{ name: 'x', image: 'x' }] } } } });
    await h.service.end(h.scope, { kind, name: kind }, new RecordingProgress(), never);
    expect(cluster.object(runner, NS, runnerName(kind))).toBeDefined();
  });
});

describe('conflicts, failures and cancellation', () => {
  it('a replace that conflicts once (a controller wrote first) is read again and re-applied', async () => {
    const { h, before } = seeded('deployment', conflictOnReplace({ name: 'deployment' }));
    const session = await h.service.start(h.scope, { kind: 'deployment', name: 'deployment', image: DEV_IMAGE }, new RecordingProgress(), never);
    expect(session.state).toBe('ready');
    const replaces = h.cluster.calls.filter((c) => c.method === 'replace');
    // The backup twice (the conflict, then again), one replica, the dev spec.
    expect(replaces).toHaveLength(4);
    expect(replaces[0]!.object).toEqual(replaces[1]!.object);
    await h.service.end(h.scope, { kind: 'deployment', name: 'deployment' }, new RecordingProgress(), never);
    expect(specOf(h.cluster, 'deployment')).toEqual(before);
  });

  it('a Deployment goes to one replica, seen by its controller, before its dev spec goes in', async () => {
    const { h } = seeded('deployment');
    const progress = new RecordingProgress();
    await h.service.start(h.scope, { kind: 'deployment', name: 'deployment', image: DEV_IMAGE }, progress, never);
    const replaces = h.cluster.calls.filter((c) => c.method === 'replace').map((c) => c.object!);
    expect(replaces).toHaveLength(3);
    const [backup, scaled, dev] = replaces as [KubeObject, KubeObject, KubeObject];
    expect(scaled.spec).toEqual({ ...backup.spec, replicas: 1 });
    expect(dev.spec.template).not.toEqual(backup.spec.template);
    expect(dev.spec.strategy).toEqual({ type: 'Recreate' });
    expect(progress.messages()).toContain('holding deployment/deployment at one replica');
  });

  it("a dev pod the controller cannot create fails start at once with the controller's reason: a Deployment's condition, a StatefulSet's event", async () => {
    const forbidden = 'pods "x" is forbidden: exceeded quota: team, requested: limits.memory=1Gi, used: limits.memory=0, limited: limits.memory=100Mi';
    for (const kind of ['deployment', 'statefulset'] as const) {
      const cluster = new FakeCluster({ controllers: false });
      const seededWorkload = workload(kind);
      // No controller here: nothing answers the one-replica step, so the workload starts at one.
      seededWorkload.spec.replicas = 1;
      if (kind === 'deployment') seededWorkload.status = { conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: forbidden }] };
      cluster.seed(seededWorkload);
      const uid = cluster.object(KINDS[kind].type, NS, kind)!.metadata.uid;
      if (kind === 'statefulset') {
        cluster.seed({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1', namespace: NS }, involvedObject: { uid }, reason: 'FailedCreate', message: forbidden, lastTimestamp: new Date().toISOString() } as KubeObject);
      }
      const h = harness(cluster);
      const error = await rejection(h.service.start(h.scope, { kind, name: kind, image: DEV_IMAGE, timeoutSeconds: 60 }, new RecordingProgress(), never));
      expect(error.code).toBe(ErrorCode.DevPodFailed);
      expect(error.message).toBe(`Dev mode for ${kind}/${kind} failed: the dev pod cannot be created: ${forbidden}. \`nhd dev end ${kind}/${kind} -n ${NS}\` restores the workload.`);
    }
  }, 15_000);

  it('a workload that keeps conflicting fails start with the API error after five tries, and end restores', async () => {
    const { h, before } = seeded('deployment', conflictOnReplace({ name: 'deployment', times: 5 }));
    const error = await rejection(h.service.start(h.scope, { kind: 'deployment', name: 'deployment', image: DEV_IMAGE }, new RecordingProgress(), never));
    expect(error.code).toBe(ErrorCode.KubeApi);
    expect(h.cluster.calls.filter((c) => c.method === 'replace')).toHaveLength(5);
    expect(specOf(h.cluster, 'deployment')).toEqual(before);
    expect((await h.service.end(h.scope, { kind: 'deployment', name: 'deployment' }, new RecordingProgress(), never)).ended).toBe(false);
    expect(specOf(h.cluster, 'deployment')).toEqual(before);
  });

  it('a dev pod that cannot pull its image fails start with its reason and how to restore', async () => {
    const cluster = new FakeCluster({ podLifecycle: (pod) => [podStatus.creating(pod), podStatus.imagePullBackOff(pod, 'app')] });
    const { h, before } = seeded('deployment', cluster);
    const progress = new RecordingProgress();
    const error = await rejection(h.service.start(h.scope, { kind: 'deployment', name: 'deployment', image: 'nope:v9' }, progress, never));
    expect(error.code).toBe(ErrorCode.DevPodFailed);
    expect(error.message).toMatch(/^Dev mode for deployment\/deployment failed: container app of pod \S+: ImagePullBackOff.*`nhd dev end deployment\/deployment -n dev` restores the workload\.$/);
    expect(progress.events.at(-1)).toEqual({ kind: 'done', message: 'failed' });
    expect(isStrictlyIncreasing(progress.percentages())).toBe(true);
    await h.service.end(h.scope, { kind: 'deployment', name: 'deployment' }, new RecordingProgress(), never);
    expect(specOf(h.cluster, 'deployment')).toEqual(before);
  });

  it.each(['deployment', 'pod'] as const)('%s: a start cancelled after the backup stops there, and end restores exactly', async (kind) => {
    const cluster = new FakeCluster();
    const abort = new AbortController();
    // Cancels as soon as the backup is written (a side effect of the fault check; the fault never fires).
    cluster.failNext(kind === 'pod' ? 'create' : 'replace', {
      when: (call) => {
        if (call.object?.kind === 'ConfigMap' || call.object?.metadata.annotations?.[ANNOTATION.backup]) abort.abort();
        return false;
      },
    });
    const { h, before } = seeded(kind, cluster);
    const error = await h.service.start(h.scope, { kind, name: kind, image: DEV_IMAGE }, new RecordingProgress(), abort.signal).then(() => undefined, (e: Error) => e);
    expect(error?.name).toBe('CancelledError');
    expect(h.steps.at(-1)).toBe('start: backup+lock');
    expect(specOf(cluster, kind)).toEqual(before);
    expect(h.service.list()).toEqual([expect.objectContaining({ state: 'failed' })]);
    expect((await h.service.end(h.scope, { kind, name: kind }, new RecordingProgress(), never)).ended).toBe(true);
    expect(specOf(cluster, kind)).toEqual(before);
  });

  it('dev end of a workload that is not in dev mode does nothing; of one that does not exist fails', async () => {
    const { h } = seeded('deployment');
    expect(await h.service.end(h.scope, { kind: 'deployment', name: 'deployment' }, new RecordingProgress(), never)).toEqual({
      ended: false,
      message: `deployment/deployment is not in dev mode in namespace ${NS}; nothing to do.`,
    });
    expect(h.steps).toEqual(['end: read workload', 'end: release HPAs']);
    expect(h.cluster.calls.filter((c) => c.method !== 'get' && c.method !== 'list')).toEqual([]);
    const error = await rejection(h.service.end(h.scope, { kind: 'deployment', name: 'nope' }, new RecordingProgress(), never));
    expect(error.code).toBe(ErrorCode.WorkloadNotFound);
  });
});

describe('ownership', () => {
  it("refuses another's workload without --force, naming the holder; --force takes it over", async () => {
    const cluster = new FakeCluster();
    cluster.seed(workload('deployment'));
    const before = specOf(cluster, 'deployment');
    const bob = harness(cluster, BOB);
    const alice = harness(cluster, ALICE);
    await bob.service.start(bob.scope, { kind: 'deployment', name: 'deployment', image: DEV_IMAGE }, new RecordingProgress(), never);
    const bobsSpec = specOf(cluster, 'deployment');

    const refused = await rejection(alice.service.start(alice.scope, { kind: 'deployment', name: 'deployment', image: 'other:v1' }, new RecordingProgress(), never));
    expect(refused.code).toBe(ErrorCode.DevModeOwnedByOther);
    expect(refused.message).toBe('deployment/deployment is in dev mode, started by bob@desk less than a minute ago (at 2025-01-01T12:00:00.000Z); ask them to end it, or pass --force to take it over.');
    expect(alice.service.list()).toEqual([]);
    const notEnded = await rejection(alice.service.end(alice.scope, { kind: 'deployment', name: 'deployment' }, new RecordingProgress(), never));
    expect(notEnded.message).toMatch(/pass --force to end it anyway\.$/);
    expect(specOf(cluster, 'deployment')).toEqual(bobsSpec);

    const taken = await alice.service.start(alice.scope, { kind: 'deployment', name: 'deployment', image: 'other:v1', force: true }, new RecordingProgress(), never);
    expect(taken.owner.identity).toBe(ALICE);
    expect(JSON.parse(cluster.object(KINDS.deployment.type, NS, 'deployment')!.metadata.annotations![ANNOTATION.owner]!)).toMatchObject({ identity: ALICE });
    await alice.service.end(alice.scope, { kind: 'deployment', name: 'deployment' }, new RecordingProgress(), never);
    expect(specOf(cluster, 'deployment')).toEqual(before);
  });

  it('the lock of a recreated kind lives in its backup ConfigMap too', async () => {
    const cluster = new FakeCluster();
    cluster.seed(workload('pod'));
    const bob = harness(cluster, BOB);
    await bob.service.start(bob.scope, { kind: 'pod', name: 'pod', image: DEV_IMAGE }, new RecordingProgress(), never);
    const refused = await rejection(harness(cluster, ALICE).service.end(bob.scope, { kind: 'pod', name: 'pod' }, new RecordingProgress(), never));
    expect(refused.code).toBe(ErrorCode.DevModeOwnedByOther);
    expect(JSON.parse(cluster.object(CONFIG_MAP, NS, backupConfigMapName('pod', 'pod'))!.metadata.annotations![ANNOTATION.owner]!)).toMatchObject({ identity: BOB });
  });
});

describe('serialized per workload', () => {
  it('an end sent while start runs waits for it, and restores what start made', async () => {
    const { h, before } = seeded('deployment');
    const start = h.service.start(h.scope, { kind: 'deployment', name: 'deployment', image: DEV_IMAGE }, new RecordingProgress(), never);
    const end = h.service.end(h.scope, { kind: 'deployment', name: 'deployment' }, new RecordingProgress(), never);
    expect((await start).state).toBe('ready');
    expect((await end).ended).toBe(true);
    expect(h.steps.indexOf('end: read workload')).toBeGreaterThan(h.steps.indexOf('start: wait for dev pod'));
    expect(specOf(h.cluster, 'deployment')).toEqual(before);
  });
});

describe('HPAs and persistent volume claims', () => {
  it('holds the HPAs of the workload at one replica and gives their bounds back at end', async () => {
    const cluster = new FakeCluster();
    const hpa = (name: string, target: string): KubeObject => ({
      apiVersion: HPA.apiVersion,
      kind: HPA.kind,
      metadata: { name, namespace: NS },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target }, minReplicas: 2, maxReplicas: 5 },
    });
    cluster.seed(hpa('mine', 'deployment'), hpa('other', 'elsewhere'));
    const { h, before } = seeded('deployment', cluster);
    const progress = new RecordingProgress();
    await h.service.start(h.scope, { kind: 'deployment', name: 'deployment', image: DEV_IMAGE }, progress, never);
    expect(cluster.object(HPA, NS, 'mine')?.spec).toMatchObject({ minReplicas: 1, maxReplicas: 1 });
    expect(JSON.parse(cluster.object(HPA, NS, 'mine')!.metadata.annotations![ANNOTATION.hpaBackup]!)).toEqual({ minReplicas: 2, maxReplicas: 5 });
    expect(cluster.object(HPA, NS, 'other')?.spec).toMatchObject({ minReplicas: 2, maxReplicas: 5 });
    expect(progress.messages()).toContain('holding HorizontalPodAutoscaler mine at one replica');
    await h.service.end(h.scope, { kind: 'deployment', name: 'deployment' }, new RecordingProgress(), never);
    expect(cluster.object(HPA, NS, 'mine')).toMatchObject({ metadata: { annotations: {} }, spec: { minReplicas: 2, maxReplicas: 5 } });
    expect(specOf(cluster, 'deployment')).toEqual(before);
  });
});

describe('settings from a config, port-forwards, sync and their warnings', () => {
  const project = (extra = '') =>
    projectWithConfig(`name: deployment
serviceType: deployment
containers:
  - name: app
    dev:
      image: \${DEV_IMAGE}
      workDir: /src
      portForward: ["18080:9080"]
${extra}`);

  it('reads ${VAR} from the injected environment, forwards the config ports and syncs localDir', async () => {
    const cluster = new FakeCluster();
    cluster.seed(workload('deployment'));
    const h = harness(cluster, ALICE, { env: { DEV_IMAGE: 'from-env:v2' } });
    const localDir = project();
    const progress = new RecordingProgress();
    const session = await h.service.start(h.scope, { kind: 'deployment', name: 'deployment', localDir }, progress, never);
    expect(session).toMatchObject({ image: 'from-env:v2', workDir: '/src', localDir, state: 'ready' });
    expect(session.warnings).toBeUndefined();
    expect(h.forwards.started).toEqual([['18080:9080']]);
    expect(h.syncs.started).toBe(1);
    expect(h.steps.slice(-2)).toEqual(['start: port-forwards', 'start: sync']);
    expect(progress.messages()).toEqual(expect.arrayContaining(['forwarding 18080:9080', `syncing ${localDir} to /src`]));
    expect(isStrictlyIncreasing(progress.percentages())).toBe(true);
    expect(h.service.settingsOf(session.id)).toMatchObject({ dev: { image: 'from-env:v2' }, source: { file: path.join(localDir, '.nocalhost', 'config.yaml'), container: 'app' } });
    await h.service.end(h.scope, { kind: 'deployment', name: 'deployment' }, new RecordingProgress(), never);
    expect(h.syncs.stopped).toEqual([session.id]);
    expect(h.forwards.stopped).toBe(1);
  });

  it("reads the config from the application's ConfigMap when there is no other, and again for run and debug", async () => {
    const cluster = new FakeCluster();
    cluster.seed({ ...workload('deployment'), metadata: { ...workload('deployment').metadata, labels: { 'nhd.dev/app': 'shop' } } });
    cluster.seed({ ...CONFIG_MAP, metadata: { name: 'dev.nocalhost.config.shop', namespace: NS }, data: { config: 'name: deployment\nserviceType: deployment\ncontainers: [{ name: app, dev: { image: from-cm:v1, workDir: /cm, portForward: ["18081:9080"] } }]\n' } });
    const h = harness(cluster);
    const session = await h.service.start(h.scope, { kind: 'deployment', name: 'deployment' }, new RecordingProgress(), never);
    expect(session).toMatchObject({ image: 'from-cm:v1', workDir: '/cm', state: 'ready' });
    expect(h.forwards.started).toEqual([['18081:9080']]);
    expect(h.service.settingsOf(session.id)).toMatchObject({ dev: { image: 'from-cm:v1' }, source: { configMap: 'dev.nocalhost.config.shop', container: 'app' } });
  });

  it("the config's fields nhd does not act on are the session's warnings from its start", async () => {
    const cluster = new FakeCluster();
    cluster.seed(workload('deployment'));
    const h = harness(cluster, ALICE, { env: { DEV_IMAGE: 'from-env:v2' } });
    const localDir = project('      useDevContainer: true\n');
    const session = await h.service.start(h.scope, { kind: 'deployment', name: 'deployment', localDir }, new RecordingProgress(), never);
    expect(session.warnings).toEqual([`${path.join(localDir, '.nocalhost', 'config.yaml')}:9: dev.useDevContainer is not applied by nhd: nhd always replaces the container (\`true\` is treated as \`false\`)`]);
    expect(h.changes.find((c) => c.state === 'starting')?.warnings).toEqual(session.warnings);
  });

  it('a port-forward or a sync that fails is a warning, and dev mode stays up', async () => {
    const cluster = new FakeCluster();
    cluster.seed(workload('deployment'));
    const h = harness(cluster, ALICE, {
      env: { DEV_IMAGE },
      portForwards: {
        startFromConfig: () => Promise.reject(new Error('127.0.0.1:18080 is taken')),
        stopFor() {},
      },
      sync: {
        start: () => Promise.reject(new Error('the agent did not start: node not found')),
        stop: async () => {},
      },
    });
    const progress = new RecordingProgress();
    const session = await h.service.start(h.scope, { kind: 'deployment', name: 'deployment', localDir: project() }, progress, never);
    const warnings = ["the config's port-forward 18080:9080 did not start: 127.0.0.1:18080 is taken", 'the agent did not start: node not found'];
    expect(session).toMatchObject({ state: 'ready', warnings });
    expect(progress.messages()).toEqual(expect.arrayContaining(warnings));
    expect(h.service.list()[0]).toMatchObject({ state: 'ready', warnings });
  });

  it("sync's own warnings reach the session", async () => {
    const cluster = new FakeCluster();
    cluster.seed(workload('deployment'));
    const h = harness(cluster, ALICE, {
      env: { DEV_IMAGE },
      sync: {
        start: async (params) => syncStatus(params, ['close to the inotify limit']),
        stop: async () => {},
      },
    });
    const session = await h.service.start(h.scope, { kind: 'deployment', name: 'deployment', localDir: project() }, new RecordingProgress(), never);
    expect(session.warnings).toEqual(['close to the inotify limit']);
  });

  it('creates a claim for each persistentVolumeDir, mounts it, and keeps it after end', async () => {
    const cluster = new FakeCluster();
    cluster.seed(workload('deployment'));
    const h = harness(cluster, ALICE, { env: { DEV_IMAGE } });
    const localDir = project(`      persistentVolumeDirs:
        - path: /cache
          capacity: 1Gi
`);
    const session = await h.service.start(h.scope, { kind: 'deployment', name: 'deployment', localDir, sync: false }, new RecordingProgress(), never);
    const claim = claimNameOf({ kind: 'deployment', name: 'deployment' }, '/cache');
    expect(cluster.object(PVC, NS, claim)?.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } });
    const pod = cluster.object('Pod', NS, session.pod!)!;
    expect(pod.spec.volumes).toContainEqual(expect.objectContaining({ persistentVolumeClaim: { claimName: claim } }));
    expect(h.syncs.started).toBe(0);
    await h.service.end(h.scope, { kind: 'deployment', name: 'deployment' }, new RecordingProgress(), never);
    expect(cluster.object(PVC, NS, claim)).toBeDefined();
  });

  it('waits for a new claim to be bound; one never bound fails start before the workload changed, and is deleted', async () => {
    const cluster = new FakeCluster({ claims: 'pending' });
    cluster.seed(workload('deployment'));
    const before = specOf(cluster, 'deployment');
    // The wait is on the clock: a real one here, for its one second.
    const h = harness(cluster, ALICE, { env: { DEV_IMAGE }, now: () => Date.now() });
    const localDir = project('      persistentVolumeDirs:\n        - path: /cache\n');
    const progress = new RecordingProgress();
    const error = await rejection(h.service.start(h.scope, { kind: 'deployment', name: 'deployment', localDir, sync: false, timeoutSeconds: 1 }, progress, never));
    expect(error.message).toMatch(/^The persistent volume claim for \/cache \(nhd-deployment-\w+, StorageClass none\) was not bound within 1 s; nhd deleted it and changed nothing else\. .*waitForFirstConsumer: true/);
    expect(progress.messages()).toContain('waiting for the persistent volume claim of /cache to be bound');
    expect(cluster.objectsOf('PersistentVolumeClaim', NS)).toEqual([]);
    expect(specOf(cluster, 'deployment')).toEqual(before);
    expect(cluster.object(KINDS.deployment.type, NS, 'deployment')?.metadata.annotations?.[ANNOTATION.backup]).toBeUndefined();
  });

  it('does not wait for a claim that binds on first use: waitForFirstConsumer, or its StorageClass says so', async () => {
    for (const [dirs, classes] of [
      ['      persistentVolumeDirs:\n        - path: /cache\n          waitForFirstConsumer: true\n', []],
      ['      storageClass: late\n      persistentVolumeDirs:\n        - path: /cache\n', [{ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'late' }, provisioner: 'x', volumeBindingMode: 'WaitForFirstConsumer' }]],
    ] as const) {
      const cluster = new FakeCluster({ claims: 'pending' });
      cluster.seed(workload('deployment'), ...classes);
      const h = harness(cluster, ALICE, { env: { DEV_IMAGE } });
      const progress = new RecordingProgress();
      const session = await h.service.start(h.scope, { kind: 'deployment', name: 'deployment', localDir: project(dirs), sync: false, timeoutSeconds: 30 }, progress, never);
      expect(session.state).toBe('ready');
      expect(progress.messages()).not.toContain('waiting for the persistent volume claim of /cache to be bound');
      expect(cluster.objectsOf('PersistentVolumeClaim', NS)).toHaveLength(1);
    }
  });

  it('an invalid config fails start before anything changes, with no session', async () => {
    const cluster = new FakeCluster();
    cluster.seed(workload('deployment'));
    const before = specOf(cluster, 'deployment');
    const h = harness(cluster, ALICE, { env: { DEV_IMAGE } });
    const error = await rejection(h.service.start(h.scope, { kind: 'deployment', name: 'deployment', localDir: project('      hotReload: maybe\n') }, new RecordingProgress(), never));
    expect(error.code).toBe(ErrorCode.ConfigInvalid);
    expect(h.service.list()).toEqual([]);
    expect(specOf(cluster, 'deployment')).toEqual(before);
  });
});
