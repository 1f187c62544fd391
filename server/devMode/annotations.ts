import type { DevOwner } from '../../protocol';

/**
 * What dev mode writes on a workload, all under `nhd.dev/`. The state lives in the cluster, not in
 * a daemon, so any daemon on any machine can end dev mode or see who holds it.
 */
export const ANNOTATION = {
  /** JSON of the original `.spec` and `metadata.annotations`, written before anything else changes. */
  backup: 'nhd.dev/backup',
  /** JSON DevOwner: who holds the workload. */
  owner: 'nhd.dev/owner',
  /** JSON of the dev settings in force (container, image, workDir), for status and tools. */
  dev: 'nhd.dev/dev',
  /** On an HPA: JSON of its original minReplicas and maxReplicas. */
  hpaBackup: 'nhd.dev/hpa-backup',
} as const;

/** On the dev pod template: marks pods that run the dev spec. */
export const DEV_POD_LABEL = 'nhd.dev/dev-pod';

/**
 * On the dev pod template: a hash of this session's dev spec, so that waiting for "the dev pod"
 * never takes a pod of an earlier session that is still shutting down.
 */
export const DEV_HASH_ANNOTATION = 'nhd.dev/dev-hash';

/** Recreated kinds (Job, Pod) keep a crash-safe copy of the original object in this ConfigMap. */
export function backupConfigMapName(kind: string, name: string): string {
  return `nhd-backup-${kind}-${name}`.slice(0, 253);
}

/**
 * The runner: the object nhd creates to run the dev pod of a workload that cannot run it itself
 * (a CronJob's one-off Job, a DaemonSet's one-replica Deployment).
 */
export function runnerName(name: string): string {
  return `${name}-nhd-dev`.slice(0, 63);
}

/** On a runner: it is part of its workload's dev mode, not a workload of its own (lists skip it). */
export const RUNNER_LABEL = 'nhd.dev/runner';

/**
 * In a DaemonSet's template during dev mode: a node selector no node has, so that the DaemonSet
 * runs no pod anywhere while its runner runs the one dev pod.
 */
export const NO_NODE_SELECTOR = { 'nhd.dev/dev-pod-runs-elsewhere': 'true' } as const;

/** The original state a dev end restores. */
export interface Backup {
  spec: unknown;
  annotations: Record<string, string>;
}

export interface DevInfo {
  container: string;
  image: string;
  workDir: string;
  /** `dev.shell`: what a terminal in the dev container runs when no command is given. */
  shell?: string;
}

export function readJsonAnnotation<T>(annotations: Record<string, string> | undefined, key: string): T | undefined {
  const text = annotations?.[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

export function readOwner(annotations: Record<string, string> | undefined): DevOwner | undefined {
  const owner = readJsonAnnotation<DevOwner>(annotations, ANNOTATION.owner);
  return owner && typeof owner.identity === 'string' && typeof owner.since === 'string' ? owner : undefined;
}

/** The annotations without nhd's own. */
export function withoutNhdAnnotations(annotations: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations ?? {}).filter(([key]) => !key.startsWith('nhd.dev/')));
}
