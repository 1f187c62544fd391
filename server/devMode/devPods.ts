import { ErrorCode, type WorkloadRef } from '../../protocol';
import { CancelledError, NhdError } from '../errors';
import { describe, kubeCallAsync, type Scope } from '../kubeScope';
import type { KubeObject } from '../ports';
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

/** The dev pods of a workload: a label selector for list and watch, and a test for the pods it returns. */
export interface DevPodQuery {
  selector: string;
  isDevPod(pod: KubeObject): boolean;
}

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

/** The ready dev pod now (it changes when the pod restarts); fails with PodNotRunning while there is none. */
export async function readyDevPod(scope: Scope, ref: WorkloadRef, query: DevPodQuery): Promise<string> {
  const pods = await kubeCallAsync(() => scope.cluster.list(scope.context, scope.namespace, POD, query.selector));
  const pod = choosePod(pods.filter((p) => query.isDevPod(p)));
  if (!pod || !isPodReady(pod)) throw new NhdError(ErrorCode.PodNotRunning, `${describe(ref)} has no ready dev pod yet.`);
  return pod.metadata.name;
}
