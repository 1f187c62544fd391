import type { WorkloadKind, WorkloadSummary } from '../../protocol';
import { RUNNER_LABEL, readOwner } from '../devMode/annotations';
import { podTemplate } from '../devMode/kinds';
import { SIDECAR_NAME } from '../devMode/plan';
import type { KubeObject } from '../ports';
import { isPodReady } from '../workloadPods';

/**
 * A workload as `nhd ls` shows it (pure). Pods and Jobs that a controller owns are not
 * workloads of their own here: their Deployment, StatefulSet, DaemonSet or CronJob is; nor is the
 * runner of a workload's dev pod (a CronJob's dev Job, a DaemonSet's dev Deployment).
 */
export function summarize(kind: WorkloadKind, object: KubeObject): WorkloadSummary | undefined {
  if ((kind === 'pod' || kind === 'job') && (object.metadata.ownerReferences ?? []).some((r) => r.controller)) return undefined;
  if (object.metadata.labels?.[RUNNER_LABEL] === 'true') return undefined;
  const spec = object.spec ?? {};
  const status = object.status ?? {};
  let ready: string;
  let healthy: boolean;
  switch (kind) {
    case 'deployment':
    case 'statefulset': {
      const desired = spec.replicas ?? 1;
      const readyCount = status.readyReplicas ?? 0;
      ready = `${readyCount}/${desired}`;
      healthy = readyCount >= desired;
      break;
    }
    case 'daemonset':
      ready = `${status.numberReady ?? 0}/${status.desiredNumberScheduled ?? 0}`;
      healthy = (status.numberReady ?? 0) >= (status.desiredNumberScheduled ?? 0);
      break;
    case 'job':
      ready = `${status.succeeded ?? 0}/${spec.completions ?? 1}`;
      healthy = !(status.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Failed' && c.status === 'True');
      break;
    case 'cronjob':
      ready = spec.suspend ? 'suspended' : `${(status.active ?? []).length} active`;
      healthy = true;
      break;
    case 'pod': {
      const containers = (status.containerStatuses ?? []) as { ready?: boolean }[];
      ready = `${containers.filter((c) => c.ready).length}/${(spec.containers ?? []).length}`;
      healthy = isPodReady(object) || status.phase === 'Succeeded';
      break;
    }
  }
  const owner = readOwner(object.metadata.annotations);
  return {
    kind,
    name: object.metadata.name,
    namespace: object.metadata.namespace ?? '',
    ready,
    healthy,
    devState: owner ? 'developing' : 'none',
    ...(owner ? { devOwner: owner } : {}),
    createdAt: object.metadata.creationTimestamp ?? '',
    containers: (podTemplate(kind, object)?.spec?.containers ?? []).map((c) => c.name).filter((name) => name !== SIDECAR_NAME),
  };
}

const ORDER: WorkloadKind[] = ['deployment', 'statefulset', 'daemonset', 'job', 'cronjob', 'pod'];

export function sortSummaries(list: WorkloadSummary[]): WorkloadSummary[] {
  return list.sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) || a.name.localeCompare(b.name));
}
