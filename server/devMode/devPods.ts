import { ErrorCode, type WorkloadRef } from '../../protocol';
import { CancelledError, NhdError } from '../errors';
import { describe, kubeCallAsync, type Scope } from '../kubeScope';
import type { KubeObject, ResourceType } from '../ports';
import { choosePod, isPodReady } from '../workloadPods';
import { DEV_HASH_ANNOTATION } from './annotations';
import { assessDevPod, type PodAssessment } from './podStatus';

/**
 * Finding a session's dev pod: waiting for it at dev start (with the pod's own progress and
 * failure), and the ready one now (sync reconnects to it after a restart). Which pods are dev pods
 * is the dev mode's answer (`DevPodQuery`), so that a mode that runs its pods elsewhere (a
 * duplicate of the workload) reuses both.
 */

const POD = { apiVersion: 'v1', kind: 'Pod' };
const EVENT = { apiVersion: 'v1', kind: 'Event' };

/** The dev pods of a workload: a label selector for list and watch, and a test for the pods it returns. */
export interface DevPodQuery {
  selector: string;
  isDevPod(pod: KubeObject): boolean;
  /** The object whose controller creates the dev pods (none when nhd creates the pod itself). */
  creator?: { type: ResourceType; name: string };
}

/** How often the wait asks the creator why there is no dev pod yet. */
const CREATION_CHECK_MS = 2000;

/** Where in the pod wait each of the pod's own steps lies, as a fraction of the wait. */
const WAIT_FRACTION: Record<Extract<PodAssessment, { state: 'progress' }>['step'], number> = { terminating: 0.1, scheduling: 0.2, pulling: 0.55, starting: 0.9 };

/**
 * Watches the dev pods until the newest one of this plan (`devHash`) is ready; fails on the pod's
 * own fatal reason (image pull, crash) or on timeout, saying how to restore the workload.
 */
export async function waitForDevPod(
  scope: Scope,
  ref: WorkloadRef,
  query: DevPodQuery,
  devHash: string,
  timeoutSeconds: number,
  report: (message: string, fraction?: number) => void,
  signal: AbortSignal,
): Promise<string> {
  const pods = new Map<string, KubeObject>();
  const watchAbort = new AbortController();
  const stop = () => watchAbort.abort();
  signal.addEventListener('abort', stop);
  let lastMessage = 'waiting for the dev pod to be created';
  report(lastMessage, 0);
  const restoreHint = `\`nhd dev end ${ref.kind}/${ref.name} -n ${scope.namespace}\` restores the workload.`;
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new NhdError(ErrorCode.DevPodTimeout, `The dev pod of ${describe(ref)} was not ready within ${timeoutSeconds} s; last: ${lastMessage}. ${restoreHint}`)),
        timeoutSeconds * 1000,
      );
      watchAbort.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        if (signal.aborted) reject(new CancelledError());
      });
      const evaluate = () => {
        const candidates = [...pods.values()].filter((p) => query.isDevPod(p) && !p.metadata.deletionTimestamp && p.metadata.annotations?.[DEV_HASH_ANNOTATION] === devHash);
        candidates.sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));
        const pod = candidates[0];
        if (!pod) return;
        const assessment = assessDevPod(pod);
        if (assessment.state === 'ready') {
          clearTimeout(timer);
          resolve(pod.metadata.name);
        } else if (assessment.state === 'failed') {
          clearTimeout(timer);
          reject(new NhdError(ErrorCode.DevPodFailed, `Dev mode for ${describe(ref)} failed: ${assessment.message}. ${restoreHint}`));
        } else if (assessment.message !== lastMessage) {
          lastMessage = assessment.message;
          report(assessment.message, WAIT_FRACTION[assessment.step]);
        }
      };
      // A controller that cannot create the pod (a quota, an admission webhook, Pod Security)
      // says so on itself, not on a pod: without a pod, ask it, and fail at once with its reason.
      const startedAt = Date.now();
      const creationCheck = setInterval(() => {
        if (!query.creator || [...pods.values()].some((p) => query.isDevPod(p) && p.metadata.annotations?.[DEV_HASH_ANNOTATION] === devHash)) return;
        creationFailure(scope, query.creator, startedAt).then(
          (reason) => {
            if (!reason) return;
            clearTimeout(timer);
            reject(new NhdError(ErrorCode.DevPodFailed, `Dev mode for ${describe(ref)} failed: the dev pod cannot be created: ${reason}. ${restoreHint}`));
          },
          () => undefined,
        );
      }, CREATION_CHECK_MS);
      watchAbort.signal.addEventListener('abort', () => clearInterval(creationCheck));
      scope.cluster
        .watch(scope.context, scope.namespace, POD, (type, pod) => {
          if (type === 'DELETED') pods.delete(pod.metadata.name);
          else pods.set(pod.metadata.name, pod);
          evaluate();
        }, watchAbort.signal, query.selector)
        .catch((error) => reject(error));
    });
  } finally {
    signal.removeEventListener('abort', stop);
    watchAbort.abort();
  }
}

/**
 * Why the creator's controller cannot create pods, in its own words: a Deployment's ReplicaFailure
 * condition, or a FailedCreate event on a StatefulSet or Job since the wait began. Undefined when
 * it reports nothing wrong.
 */
export async function creationFailure(scope: Scope, creator: { type: ResourceType; name: string }, since: number): Promise<string | undefined> {
  const object = await scope.cluster.get(scope.context, scope.namespace, creator.type, creator.name);
  if (!object) return undefined;
  if (creator.type.kind === 'Deployment') {
    const failure = ((object.status?.conditions ?? []) as { type: string; status: string; message?: string }[]).find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
    return failure?.message;
  }
  type Event = KubeObject & { involvedObject?: { uid?: string }; reason?: string; message?: string; lastTimestamp?: string; eventTime?: string };
  const events = (await scope.cluster.list(scope.context, scope.namespace, EVENT)) as Event[];
  const failed = events
    .filter((e) => e.involvedObject?.uid === object.metadata.uid && e.reason === 'FailedCreate')
    .filter((e) => Date.parse(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '') >= since - 1000);
  return failed.at(-1)?.message;
}

/** The ready dev pod now (it changes when the pod restarts); fails with PodNotRunning while there is none. */
export async function readyDevPod(scope: Scope, ref: WorkloadRef, query: DevPodQuery): Promise<string> {
  const pods = await kubeCallAsync(() => scope.cluster.list(scope.context, scope.namespace, POD, query.selector));
  const pod = choosePod(pods.filter((p) => query.isDevPod(p)));
  if (!pod || !isPodReady(pod)) throw new NhdError(ErrorCode.PodNotRunning, `${describe(ref)} has no ready dev pod yet.`);
  return pod.metadata.name;
}
