import type { WorkloadKind } from '../protocol';
import { DEV_POD_LABEL, runnerName } from './devMode/annotations';
import type { KubeObject } from './ports';
import { kubeCallAsync, type Scope } from './kubeScope';

/**
 * Which pods belong to a workload, as a label selector (matchLabels only, which is what
 * workloads created by people and charts use; matchExpressions narrow further but are not needed
 * to find the pods nhd starts).
 */
export function podSelector(kind: WorkloadKind, workload: KubeObject): string | undefined {
  const labels = (l: Record<string, string> | undefined) =>
    l && Object.keys(l).length > 0 ? Object.entries(l).map(([k, v]) => `${k}=${v}`).join(',') : undefined;
  switch (kind) {
    case 'deployment':
    case 'statefulset':
    case 'daemonset':
      return labels(workload.spec?.selector?.matchLabels);
    case 'job':
      return `batch.kubernetes.io/job-name=${workload.metadata.name}`;
    case 'cronjob': {
      // In dev mode, the Job nhd started from the dev template; else the newest Job's pods.
      const inDev = workload.metadata.annotations?.['nhd.dev/owner'] !== undefined;
      return inDev ? `batch.kubernetes.io/job-name=${runnerName(workload.metadata.name)}` : labels(workload.spec?.jobTemplate?.spec?.template?.metadata?.labels);
    }
    case 'pod':
      return undefined;
  }
}

/** The dev pods of a workload in dev mode (selector plus nhd's dev label). */
export function devPodSelector(kind: WorkloadKind, workload: KubeObject): string {
  const base = podSelector(kind, workload);
  return [base, `${DEV_POD_LABEL}=true`].filter(Boolean).join(',');
}

export function isPodReady(pod: KubeObject): boolean {
  return (
    !pod.metadata.deletionTimestamp &&
    pod.status?.phase === 'Running' &&
    (pod.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True')
  );
}

function newestFirst(a: KubeObject, b: KubeObject): number {
  return (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '');
}

/**
 * The pod to talk to for a workload now: the newest ready one, preferring dev pods; else the
 * newest running one; undefined when none runs.
 */
export function choosePod(pods: KubeObject[]): KubeObject | undefined {
  const live = pods.filter((p) => !p.metadata.deletionTimestamp).sort(newestFirst);
  const ready = live.filter(isPodReady);
  const dev = (p: KubeObject) => p.metadata.labels?.[DEV_POD_LABEL] === 'true';
  return ready.find(dev) ?? ready[0] ?? live.find((p) => p.status?.phase === 'Running');
}

/** Lists a workload's pods. */
export async function workloadPods(scope: Scope, kind: WorkloadKind, workload: KubeObject): Promise<KubeObject[]> {
  if (kind === 'pod') return [workload];
  const selector = podSelector(kind, workload);
  if (selector === undefined) return [];
  return kubeCallAsync(() => scope.cluster.list(scope.context, scope.namespace, { apiVersion: 'v1', kind: 'Pod' }, selector));
}
