import type { KubeObject } from '../ports';

/**
 * Where a dev pod is on its way to ready, read from its status alone (pure). The steps are the
 * ones a developer sees as progress; a failure carries the pod's own reason and message.
 */
export type PodAssessment =
  | { state: 'progress'; step: 'scheduling' | 'pulling' | 'starting' | 'terminating'; message: string }
  | { state: 'ready' }
  | { state: 'failed'; message: string };

/** Waiting reasons that will not resolve by waiting. */
const FATAL_WAITING = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'CrashLoopBackOff',
  'RunContainerError',
]);

interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string }; running?: object; terminated?: { exitCode?: number; reason?: string; message?: string } };
  lastState?: { terminated?: { exitCode?: number; reason?: string; message?: string } };
}

export function assessDevPod(pod: KubeObject): PodAssessment {
  const name = pod.metadata.name;
  if (pod.metadata.deletionTimestamp) return { state: 'progress', step: 'terminating', message: `pod ${name} is terminating` };
  const status = pod.status ?? {};
  if (status.phase === 'Failed') {
    return { state: 'failed', message: `pod ${name} failed: ${status.reason ?? 'Failed'}${status.message ? `: ${status.message}` : ''}` };
  }
  const scheduled = (status.conditions ?? []).find((c: { type: string }) => c.type === 'PodScheduled');
  if (!scheduled || scheduled.status !== 'True') {
    const why = scheduled?.message ? `${scheduled.reason ?? 'not scheduled'}: ${scheduled.message}` : 'waiting for a node';
    return { state: 'progress', step: 'scheduling', message: `pod ${name}: ${why}` };
  }
  const statuses: ContainerStatus[] = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])];
  for (const c of statuses) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && FATAL_WAITING.has(waiting.reason)) {
      return { state: 'failed', message: `container ${c.name} of pod ${name}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}` };
    }
    const exited = c.state?.terminated ?? ((c.restartCount ?? 0) > 0 ? c.lastState?.terminated : undefined);
    const isInit = (status.initContainerStatuses ?? []).includes(c);
    if (exited && !(isInit && exited.exitCode === 0)) {
      const detail = [exited.reason, exited.message].filter(Boolean).join(': ');
      return { state: 'failed', message: `container ${c.name} of pod ${name} exited with code ${exited.exitCode ?? '?'}${detail ? ` (${detail})` : ''}` };
    }
  }
  const main: ContainerStatus[] = status.containerStatuses ?? [];
  const expected = (pod.spec?.containers ?? []).length;
  if (main.length < expected || main.some((c) => c.state?.waiting)) {
    const creating = statuses.find((c) => c.state?.waiting?.reason === 'ContainerCreating' || c.state?.waiting?.reason === 'PodInitializing');
    return creating || main.length < expected
      ? { state: 'progress', step: 'pulling', message: `pod ${name}: pulling images and creating containers` }
      : { state: 'progress', step: 'starting', message: `pod ${name}: starting containers` };
  }
  if (main.every((c) => c.state?.running && c.ready !== false)) return { state: 'ready' };
  return { state: 'progress', step: 'starting', message: `pod ${name}: waiting for containers to be ready` };
}
