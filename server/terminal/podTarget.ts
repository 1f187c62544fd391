import { ErrorCode, type WorkloadRef } from '../../protocol';
import { ANNOTATION, readJsonAnnotation, type DevInfo } from '../devMode/annotations';
import { NhdError } from '../errors';
import { describe, getWorkload, type Scope } from '../kubeScope';
import type { KubeObject } from '../ports';
import { choosePod, workloadPods } from '../workloadPods';

/** A pod and container of a workload: where a terminal runs or a log is read. */
export interface PodTarget {
  workload: KubeObject;
  pod: string;
  container: string;
}

/**
 * The pod to exec into or read from now and its container. `fallbackToAnyPod` (logs) takes the
 * newest pod of any phase when none runs, since a crashed pod's log is what one wants to read.
 */
export async function resolvePodTarget(scope: Scope, ref: WorkloadRef, requestedContainer: string | undefined, fallbackToAnyPod = false): Promise<PodTarget> {
  const workload = await getWorkload(scope, ref);
  const pods = await workloadPods(scope, ref.kind, workload);
  const pod = choosePod(pods) ?? (fallbackToAnyPod ? newest(pods) : undefined);
  if (!pod) {
    throw new NhdError(
      ErrorCode.PodNotRunning,
      `${describe(ref)} has no running pod in namespace ${scope.namespace}; \`kubectl get pods -n ${scope.namespace}\` shows why (scaled to zero, pending, crashing).`,
    );
  }
  return { workload, pod: pod.metadata.name, container: chooseContainer(ref, workload, pod, requestedContainer) };
}

/** The container asked for, else the dev container when the workload is in dev mode, else the first. */
export function chooseContainer(ref: WorkloadRef, workload: KubeObject, pod: KubeObject, requested: string | undefined): string {
  const names: string[] = (pod.spec?.containers ?? []).map((c: { name: string }) => c.name);
  const wanted = requested ?? readJsonAnnotation<DevInfo>(workload.metadata.annotations, ANNOTATION.dev)?.container;
  if (wanted !== undefined && names.includes(wanted)) return wanted;
  if (requested !== undefined) {
    throw new NhdError(
      ErrorCode.ContainerNotFound,
      `${describe(ref)} (pod ${pod.metadata.name}) has no container ${JSON.stringify(requested)}; its containers are ${names.join(', ') || 'none'}.`,
    );
  }
  const first = names[0];
  if (first === undefined) throw new NhdError(ErrorCode.ContainerNotFound, `Pod ${pod.metadata.name} of ${describe(ref)} has no containers.`);
  return first;
}

function newest(pods: KubeObject[]): KubeObject | undefined {
  return [...pods].sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))[0];
}
