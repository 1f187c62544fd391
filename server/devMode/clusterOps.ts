import { createHash } from 'node:crypto';
import { ErrorCode, type DevOwner, type DevSettings, type WorkloadRef } from '../../protocol';
import { NhdError, sleep } from '../errors';
import { describe, getWorkload, kubeCallAsync, toNhdError, type Scope } from '../kubeScope';
import type { KubeObject } from '../ports';
import { devPodSelector, podSelector } from '../workloadPods';
import { ANNOTATION, DEV_HASH_ANNOTATION, DEV_POD_LABEL, RUNNER_LABEL, backupConfigMapName, readJsonAnnotation, readOwner, runnerName } from './annotations';
import { KINDS } from './kinds';
import { freshCopy } from './plan';

/**
 * The cluster operations dev mode is made of, each one call or one small loop against the
 * `Cluster` port: the owner-locked PUT, the backup ConfigMap of recreated kinds, delete-and-wait,
 * the runners of CronJobs and DaemonSets, StatefulSet pods, persistent volume claims and HPAs. They decide nothing
 * about the order; the steps (devSteps.ts, replaceMode.ts) do.
 */

const CONFIG_MAP = { apiVersion: 'v1', kind: 'ConfigMap' };
const POD = { apiVersion: 'v1', kind: 'Pod' };
const HPA = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' };
const PVC = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' };
const STORAGE_CLASS = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass' };

/** A persistent volume claim mounted at a path of the dev container (persistentVolumeDirs). */
export interface Claim {
  path: string;
  claimName: string;
}

/**
 * Edits and PUTs the workload. Controllers write it too (status, revisions): on a conflict it
 * reads the workload again and re-applies the edit, up to five times. An NhdError thrown by the
 * edit (someone else took the lock meanwhile) ends it at once.
 */
export async function replaceWithLock(scope: Scope, ref: WorkloadRef, workload: KubeObject, edit: (w: KubeObject) => void): Promise<KubeObject> {
  const { cluster, context } = scope;
  for (let attempt = 0; ; attempt++) {
    const copy = structuredClone(workload);
    edit(copy);
    try {
      return await cluster.replace(context, copy);
    } catch (error) {
      if (error instanceof NhdError) throw error;
      if ((error as { status?: number }).status !== 409 || attempt >= 4) throw toNhdError(error);
      workload = await getWorkload(scope, ref);
    }
  }
}

/**
 * Takes a Deployment to one replica, and waits until its controller has acted on that, before the
 * dev spec goes in (Nocalhost's scale patches come first too). A replica change in the same write
 * as a new template, while an earlier rollout still has two ReplicaSets active (a dev end followed
 * at once by a dev start), is a scaling event the Deployment controller resolves for rolling
 * updates only: under Recreate it scales nothing, every later sync sees the same event, and the
 * dev pod never comes. After at most 30 s without the controller, it goes on regardless.
 */
export async function scaleToOneFirst(
  scope: Scope,
  ref: WorkloadRef,
  workload: KubeObject,
  check: (w: KubeObject) => void,
  wait: { now: () => number; signal: AbortSignal },
): Promise<KubeObject> {
  let current = await replaceWithLock(scope, ref, workload, (w) => {
    check(w);
    w.spec.replicas = 1;
  });
  const generation = current.metadata.generation ?? 0;
  const deadline = wait.now() + 30_000;
  for (let i = 0; i < 300 && (current.status?.observedGeneration ?? 0) < generation && wait.now() < deadline; i++) {
    await sleep(100, wait.signal);
    current = await getWorkload(scope, ref);
  }
  return current;
}

/** The original object of a recreated kind, and who holds it, from the backup ConfigMap. */
export async function readRecreateBackup(scope: Scope, ref: WorkloadRef): Promise<{ object: KubeObject; owner?: DevOwner } | undefined> {
  const map = await kubeCallAsync(() => scope.cluster.get(scope.context, scope.namespace, CONFIG_MAP, backupConfigMapName(ref.kind, ref.name)));
  const text = (map?.['data'] as Record<string, string> | undefined)?.['object'];
  if (!map || !text) return undefined;
  const owner = readOwner(map.metadata.annotations);
  return { object: JSON.parse(text) as KubeObject, ...(owner ? { owner } : {}) };
}

/**
 * Saves the original object in a ConfigMap before it is deleted, so that a crash between the
 * delete and the create loses nothing. An existing backup is the original: never overwrite it,
 * only move its owner lock.
 */
export async function writeRecreateBackup(scope: Scope, ref: WorkloadRef, original: KubeObject, owner: DevOwner): Promise<void> {
  const name = backupConfigMapName(ref.kind, ref.name);
  const annotations = { [ANNOTATION.owner]: JSON.stringify(owner) };
  if (await kubeCallAsync(() => scope.cluster.get(scope.context, scope.namespace, CONFIG_MAP, name))) {
    await kubeCallAsync(() => scope.cluster.mergePatch(scope.context, scope.namespace, CONFIG_MAP, name, { metadata: { annotations } }));
    return;
  }
  const clean = freshCopy(ref.kind, original);
  delete clean.metadata.annotations?.[ANNOTATION.owner];
  await kubeCallAsync(() =>
    scope.cluster.create(scope.context, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: scope.namespace, labels: { 'nhd.dev/backup-of': `${ref.kind}.${ref.name}`.slice(0, 63) }, annotations },
      data: { object: JSON.stringify(clean) },
    }),
  );
}

/** Removes the backup ConfigMap once the original is back. */
export async function deleteRecreateBackup(scope: Scope, ref: WorkloadRef): Promise<void> {
  await kubeCallAsync(() => scope.cluster.delete(scope.context, scope.namespace, CONFIG_MAP, backupConfigMapName(ref.kind, ref.name)));
}

/** Deletes the workload (foreground: its pods first) and waits until it is gone, at most 120 s. */
export async function deleteAndWait(scope: Scope, ref: WorkloadRef, now: () => number, signal: AbortSignal): Promise<void> {
  const { cluster, context, namespace } = scope;
  const type = KINDS[ref.kind].type;
  await kubeCallAsync(() => cluster.delete(context, namespace, type, ref.name, { propagation: 'Foreground' }));
  const deadline = now() + 120_000;
  while (await cluster.get(context, namespace, type, ref.name)) {
    if (now() > deadline) throw new NhdError(ErrorCode.DevPodTimeout, `${describe(ref)} was not deleted within 120 s; check its finalizers.`);
    await sleep(200, signal);
  }
}

/**
 * Puts a runner (plan.ts `runnerOf`) in place: one of this plan (the same dev hash) stays, so a
 * repeated start keeps its pod; one of an earlier plan is deleted first (a Job's template is
 * immutable, and a name is free only once the old object is gone).
 */
export async function putRunner(scope: Scope, runner: KubeObject): Promise<void> {
  const { cluster, context, namespace } = scope;
  const type = { apiVersion: runner.apiVersion, kind: runner.kind };
  const name = runner.metadata.name;
  const hash = (o: KubeObject | undefined) => o?.spec?.template?.metadata?.annotations?.[DEV_HASH_ANNOTATION];
  const existing = await kubeCallAsync(() => cluster.get(context, namespace, type, name));
  if (existing && hash(existing) === hash(runner)) return;
  if (existing) await kubeCallAsync(() => cluster.delete(context, namespace, type, name, { propagation: 'Background' }));
  for (let i = 0; i < 100 && existing && (await kubeCallAsync(() => cluster.get(context, namespace, type, name))); i++) await sleep(100);
  await kubeCallAsync(() => cluster.create(context, runner));
}

/**
 * Deletes the runner of a workload, if there is one and it is nhd's (an object of that name
 * without the runner label or nhd's owner annotation is someone else's). None is fine: a start may have died before it.
 */
export async function deleteRunner(scope: Scope, ref: WorkloadRef): Promise<void> {
  const type = KINDS[ref.kind].runner;
  if (!type) return;
  const runner = await kubeCallAsync(() => scope.cluster.get(scope.context, scope.namespace, type, runnerName(ref.name)));
  // The owner annotation: a CronJob's dev Job made by an nhd from before runners had their label.
  if (runner?.metadata.labels?.[RUNNER_LABEL] !== 'true' && !runner?.metadata.annotations?.[ANNOTATION.owner]) return;
  await kubeCallAsync(() => scope.cluster.delete(scope.context, scope.namespace, type, runnerName(ref.name), { propagation: 'Background' }));
}

/** A StatefulSet rolls a pod only when it is ready; a crashed one would block. Replace them. */
export async function deleteNonDevPods(scope: Scope, ref: WorkloadRef, workload: KubeObject): Promise<void> {
  const pods = await kubeCallAsync(() => scope.cluster.list(scope.context, scope.namespace, POD, podSelector(ref.kind, workload) ?? ''));
  for (const pod of pods) {
    if (pod.metadata.labels?.[DEV_POD_LABEL] !== 'true') await scope.cluster.delete(scope.context, scope.namespace, POD, pod.metadata.name);
  }
}

/** The dev pods of a StatefulSet go at dev end, so that it recreates them from the original template at once. */
export async function deleteDevPods(scope: Scope, ref: WorkloadRef, workload: KubeObject): Promise<void> {
  const pods = await kubeCallAsync(() => scope.cluster.list(scope.context, scope.namespace, POD, devPodSelector(ref.kind, workload)));
  for (const pod of pods) await scope.cluster.delete(scope.context, scope.namespace, POD, pod.metadata.name);
}

/** The claim's name for a persistentVolumeDir: stable per workload and path. */
export function claimNameOf(ref: WorkloadRef, path: string): string {
  const hash = createHash('sha256').update(`${ref.kind}/${ref.name}:${path}`).digest('hex').slice(0, 8);
  return `nhd-${ref.name}`.slice(0, 50) + `-${hash}`;
}

/**
 * PVCs for persistentVolumeDirs: created once, kept after dev end (that is their point). As
 * Nocalhost does, a claim created here is waited for until it is bound, unless it binds only when
 * a pod uses it (`waitForFirstConsumer` in the config, or its StorageClass's volumeBindingMode);
 * one that is not bound in time is deleted again and dev start fails before the workload changed.
 */
export async function ensureClaims(
  scope: Scope,
  ref: WorkloadRef,
  dev: DevSettings,
  report: (message: string) => void,
  wait: { timeoutSeconds: number; now: () => number; signal: AbortSignal },
): Promise<Claim[]> {
  const claims: Claim[] = [];
  for (const dir of dev.persistentVolumeDirs) {
    const claimName = claimNameOf(ref, dir.path);
    claims.push({ path: dir.path, claimName });
    if (await kubeCallAsync(() => scope.cluster.get(scope.context, scope.namespace, PVC, claimName))) continue;
    report(`creating a persistent volume claim for ${dir.path}`);
    const created = await kubeCallAsync(() =>
      scope.cluster.create(scope.context, {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: claimName, namespace: scope.namespace, labels: { 'nhd.dev/workload': `${ref.kind}.${ref.name}`.slice(0, 63) }, annotations: { 'nhd.dev/path': dir.path } },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: dir.capacity || '10Gi' } },
          ...(dev.storageClass ? { storageClassName: dev.storageClass } : {}),
        },
      }),
    );
    if (!dir.waitForFirstConsumer) await waitBound(scope, created, dir.path, report, wait);
  }
  return claims;
}

async function waitBound(scope: Scope, claim: KubeObject, dirPath: string, report: (message: string) => void, wait: { timeoutSeconds: number; now: () => number; signal: AbortSignal }): Promise<void> {
  const { cluster, context, namespace } = scope;
  const name = claim.metadata.name;
  // The admission plugin has filled in the default class by now, when the config named none.
  const className: string | undefined = claim.spec?.storageClassName;
  const storageClass = className ? await cluster.get(context, '', STORAGE_CLASS, className).catch(() => undefined) : undefined;
  if (storageClass?.volumeBindingMode === 'WaitForFirstConsumer') return;
  report(`waiting for the persistent volume claim of ${dirPath} to be bound`);
  const deadline = wait.now() + wait.timeoutSeconds * 1000;
  let current: KubeObject | undefined = claim;
  while (current?.status?.phase !== 'Bound') {
    if (wait.now() >= deadline) {
      await kubeCallAsync(() => cluster.delete(context, namespace, PVC, name));
      const conditions = ((current?.status?.conditions ?? []) as { message?: string }[]).map((c) => c.message).filter(Boolean);
      throw new NhdError(
        ErrorCode.DevPodTimeout,
        `The persistent volume claim for ${dirPath} (${name}, StorageClass ${className ?? 'none'}) was not bound within ${wait.timeoutSeconds} s` +
          `${conditions.length ? `: ${conditions.join('; ')}` : ''}; nhd deleted it and changed nothing else. ` +
          'Check that the StorageClass can provision a volume, or set waitForFirstConsumer: true if it binds only once a pod uses the claim.',
      );
    }
    await sleep(500, wait.signal);
    current = await kubeCallAsync(() => cluster.get(context, namespace, PVC, name));
  }
}

/** HPAs that scale the workload are held at one replica, as Nocalhost does; their bounds are kept in an annotation. */
export async function holdHpas(scope: Scope, ref: WorkloadRef, report: (message: string) => void): Promise<void> {
  for (const hpa of await hpasOf(scope, ref)) {
    if (hpa.metadata.annotations?.[ANNOTATION.hpaBackup]) continue;
    report(`holding HorizontalPodAutoscaler ${hpa.metadata.name} at one replica`);
    const backup = JSON.stringify({ minReplicas: hpa.spec.minReplicas ?? null, maxReplicas: hpa.spec.maxReplicas });
    await kubeCallAsync(() =>
      scope.cluster.mergePatch(scope.context, scope.namespace, HPA, hpa.metadata.name, {
        metadata: { annotations: { [ANNOTATION.hpaBackup]: backup } },
        spec: { minReplicas: 1, maxReplicas: 1 },
      }),
    );
  }
}

/** Gives held HPAs their bounds back. */
export async function releaseHpas(scope: Scope, ref: WorkloadRef, report: (message: string) => void): Promise<void> {
  for (const hpa of await hpasOf(scope, ref)) {
    const backup = readJsonAnnotation<{ minReplicas: number | null; maxReplicas: number }>(hpa.metadata.annotations, ANNOTATION.hpaBackup);
    if (!backup) continue;
    report(`restoring HorizontalPodAutoscaler ${hpa.metadata.name}`);
    await kubeCallAsync(() =>
      scope.cluster.mergePatch(scope.context, scope.namespace, HPA, hpa.metadata.name, {
        metadata: { annotations: { [ANNOTATION.hpaBackup]: null } },
        spec: { minReplicas: backup.minReplicas, maxReplicas: backup.maxReplicas },
      }),
    );
  }
}

async function hpasOf(scope: Scope, ref: WorkloadRef): Promise<KubeObject[]> {
  const kind = KINDS[ref.kind].type.kind;
  const all = await kubeCallAsync(() => scope.cluster.list(scope.context, scope.namespace, HPA));
  return all.filter((h) => h.spec?.scaleTargetRef?.kind === kind && h.spec?.scaleTargetRef?.name === ref.name);
}
