import { createHash } from 'node:crypto';
import { ErrorCode, type DevOwner, type DevSettings, type WorkloadRef } from '../../protocol';
import { NhdError, sleep } from '../errors';
import { describe, getWorkload, kubeCallAsync, toNhdError, type Scope } from '../kubeScope';
import type { KubeObject } from '../ports';
import { devPodSelector, podSelector } from '../workloadPods';
import { ANNOTATION, DEV_POD_LABEL, backupConfigMapName, readJsonAnnotation, readOwner } from './annotations';
import { KINDS } from './kinds';
import { freshCopy } from './plan';

/**
 * The cluster operations dev mode is made of, each one call or one small loop against the
 * `Cluster` port: the owner-locked PUT, the backup ConfigMap of recreated kinds, delete-and-wait,
 * the CronJob's dev Job, StatefulSet pods, persistent volume claims and HPAs. They decide nothing
 * about the order; the steps (devSteps.ts, replaceMode.ts) do.
 */

const CONFIG_MAP = { apiVersion: 'v1', kind: 'ConfigMap' };
const POD = { apiVersion: 'v1', kind: 'Pod' };
const HPA = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' };
const PVC = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' };

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
 * The deployment controller never rolls out a Recreate Deployment whose replica count changed while
 * several of its ReplicaSets have pods (a rollout under way, such as the one dev end starts): it
 * takes the change for a scaling event, which it scales only for RollingUpdate, and waits forever
 * (seen as a dev start right after a dev end that never got its dev pod). So when a rollout is under
 * way and the dev spec changes the count, the count changes first, under the workload's own
 * strategy, and the caller writes the dev spec once the controller has seen it (at most 30 s).
 */
export async function scaleBeforeRecreate(scope: Scope, ref: WorkloadRef, workload: KubeObject, replicas: number, now: () => number, signal: AbortSignal): Promise<KubeObject> {
  const status = workload.status as { observedGeneration?: number; replicas?: number; updatedReplicas?: number } | undefined;
  if (!status || workload.spec.replicas === replicas) return workload;
  const rollingOut = (status.observedGeneration ?? 0) < (workload.metadata.generation ?? 0) || (status.updatedReplicas ?? 0) < (status.replicas ?? 0);
  if (!rollingOut) return workload;
  const scaled = await replaceWithLock(scope, ref, workload, (w) => {
    w.spec.replicas = replicas;
  });
  const deadline = now() + 30_000;
  for (;;) {
    const current = await getWorkload(scope, ref);
    const observed = (current.status as { observedGeneration?: number } | undefined)?.observedGeneration ?? 0;
    if (observed >= (scaled.metadata.generation ?? 0) || now() > deadline) return current;
    await sleep(200, signal);
  }
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

/** Runs a CronJob's dev template now, as a Job of its own (replacing one left by an earlier start). */
export async function createCronDevJob(scope: Scope, job: KubeObject): Promise<void> {
  const { cluster, context, namespace } = scope;
  const name = job.metadata.name;
  if (await kubeCallAsync(() => cluster.get(context, namespace, KINDS.job.type, name))) await deleteCronDevJob(scope, name);
  for (let i = 0; i < 100 && (await cluster.get(context, namespace, KINDS.job.type, name)); i++) await sleep(100);
  await kubeCallAsync(() => cluster.create(context, job));
}

/** Deletes the CronJob's dev Job, if there is one and it is nhd's (it carries the owner annotation). */
export async function deleteCronDevJob(scope: Scope, name: string): Promise<void> {
  const job = await kubeCallAsync(() => scope.cluster.get(scope.context, scope.namespace, KINDS.job.type, name));
  if (!job?.metadata.annotations?.[ANNOTATION.owner]) return;
  await kubeCallAsync(() => scope.cluster.delete(scope.context, scope.namespace, KINDS.job.type, name, { propagation: 'Background' }));
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

/** PVCs for persistentVolumeDirs: created once, kept after dev end (that is their point). */
export async function ensureClaims(scope: Scope, ref: WorkloadRef, dev: DevSettings, report: (message: string) => void): Promise<Claim[]> {
  const claims: Claim[] = [];
  for (const dir of dev.persistentVolumeDirs) {
    const claimName = claimNameOf(ref, dir.path);
    claims.push({ path: dir.path, claimName });
    if (await kubeCallAsync(() => scope.cluster.get(scope.context, scope.namespace, PVC, claimName))) continue;
    report(`creating a persistent volume claim for ${dir.path}`);
    await kubeCallAsync(() =>
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
  }
  return claims;
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
