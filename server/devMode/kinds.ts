import { WORKLOAD_KIND_SPELLINGS, type WorkloadKind } from '../../protocol';
import type { KubeObject, ResourceType } from '../ports';

/**
 * The six workload kinds and how dev mode treats each. Deployments, StatefulSets, DaemonSets and
 * CronJobs are edited in place; a Job's pod template and most of a Pod's spec are immutable, so
 * those are deleted and created again (with a crash-safe backup in a ConfigMap first). A CronJob
 * and a DaemonSet do not run the dev pod themselves: a runner of the `runner` type does.
 */
export interface KindInfo {
  kind: WorkloadKind;
  type: ResourceType;
  /** `replace`: PUT the edited object; `recreate`: delete it and create the edited one. */
  strategy: 'replace' | 'recreate';
  /** Whether `spec.replicas` exists (and is held at 1 in dev mode). */
  scalable: boolean;
  /** What runs the dev pod when the workload does not (plan.ts `runnerOf`). */
  runner?: ResourceType;
}

export const KINDS: Record<WorkloadKind, KindInfo> = {
  deployment: { kind: 'deployment', type: { apiVersion: 'apps/v1', kind: 'Deployment' }, strategy: 'replace', scalable: true },
  statefulset: { kind: 'statefulset', type: { apiVersion: 'apps/v1', kind: 'StatefulSet' }, strategy: 'replace', scalable: true },
  daemonset: { kind: 'daemonset', type: { apiVersion: 'apps/v1', kind: 'DaemonSet' }, strategy: 'replace', scalable: false, runner: { apiVersion: 'apps/v1', kind: 'Deployment' } },
  cronjob: { kind: 'cronjob', type: { apiVersion: 'batch/v1', kind: 'CronJob' }, strategy: 'replace', scalable: false, runner: { apiVersion: 'batch/v1', kind: 'Job' } },
  job: { kind: 'job', type: { apiVersion: 'batch/v1', kind: 'Job' }, strategy: 'recreate', scalable: false },
  pod: { kind: 'pod', type: { apiVersion: 'v1', kind: 'Pod' }, strategy: 'recreate', scalable: false },
};

export const WORKLOAD_KINDS = Object.keys(KINDS) as WorkloadKind[];

/** Reads `deployment`, `Deployment`, `deploy`, `deployments`, `sts`, `ds`, `cj`, `po` as kubectl does. */
export function parseWorkloadKind(text: string): WorkloadKind | undefined {
  return WORKLOAD_KIND_SPELLINGS[text.toLowerCase()];
}

/** The pod template of a workload (the Pod itself for a bare Pod), or undefined if malformed. */
export function podTemplate(kind: WorkloadKind, object: KubeObject): { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec } | undefined {
  switch (kind) {
    case 'pod':
      return object.spec ? { metadata: object.metadata, spec: object.spec } : undefined;
    case 'cronjob':
      return object.spec?.jobTemplate?.spec?.template;
    default:
      return object.spec?.template;
  }
}

/** The parts of a PodSpec dev mode reads and writes; everything else passes through untouched. */
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; [key: string]: unknown }[];
  [key: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  volumeMounts?: { name: string; mountPath: string; [key: string]: unknown }[];
  resources?: unknown;
  [key: string]: unknown;
}
