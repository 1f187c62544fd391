import { ErrorCode, type DevOwner, type DevSettings, type WorkloadKind } from '../../protocol';
import { NhdError } from '../errors';
import type { KubeObject } from '../ports';
import { createHash } from 'node:crypto';
import { ANNOTATION, DEV_HASH_ANNOTATION, DEV_POD_LABEL, NO_NODE_SELECTOR, RUNNER_LABEL, runnerName, withoutNhdAnnotations, type Backup, type DevInfo } from './annotations';
import { KINDS, podTemplate, type Container, type PodSpec } from './kinds';
import { applyPatchesLocally, parsePatches, type DevPatch } from './patches';

/**
 * Dev mode as pure functions over Kubernetes objects (Nocalhost's replace mode): the workload as
 * it is → the workload in dev mode, and back. No I/O here; devModeService.ts does the calls.
 */

/** The volume the source is synced into, shared by the dev container and the sync sidecar. */
export const SOURCE_VOLUME = 'nhd-src';
/** The sync sidecar's container name. */
export const SIDECAR_NAME = 'nhd-sync';
/** Where the sidecar sees the source volume (the agent's root). */
export const SIDECAR_ROOT = '/nhd/src';
/** The sidecar's one other writable place: where the daemon uploads the agent (adapters/agent). */
export const SIDECAR_AGENT_DIR = '/tmp/nhd-agent';
/** The small emptyDir at SIDECAR_AGENT_DIR. */
export const AGENT_VOLUME = 'nhd-agent';

/**
 * The sidecar's confinement (docs/security.md): its root file system is read-only, so the source
 * volume and the agent's directory are all it can write, and it keeps only the two capabilities
 * that let the agent, as root, write, delete and chmod files of the dev container's user, whatever
 * that user is: DAC_OVERRIDE (write into and read a directory or file of another uid) and FOWNER
 * (chmod and set the mtime of another uid's file, delete in a sticky directory). The agent never
 * chowns, so CHOWN is not among them.
 */
export const SIDECAR_SECURITY_CONTEXT = {
  privileged: false,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'], add: ['DAC_OVERRIDE', 'FOWNER'] },
};

/**
 * The sidecar's requests and limits, Nocalhost's own for its sidecar: a namespace whose quota
 * demands requests or limits would refuse a dev pod with a container that sets none.
 */
export const SIDECAR_RESOURCES = { requests: { cpu: '100m', memory: '50Mi' }, limits: { cpu: '1', memory: '1Gi' } };

/**
 * Keeps a container alive without its program, and exits at once on SIGTERM (a plain
 * `tail -f /dev/null` as PID 1 ignores it, and every dev end would wait out the grace period).
 */
export const KEEP_ALIVE = ['/bin/sh', '-c', "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"];

export interface DevStartInput {
  kind: WorkloadKind;
  /**
   * The original workload: as read, or rebuilt from the backup when it is already in dev mode,
   * so that a second start plans from the original and never backs up a dev spec.
   */
  original: KubeObject;
  dev: DevSettings & { priorityClass?: string };
  /** The container to swap (settings.ts decides it); default the first. */
  container?: string;
  owner: DevOwner;
  sidecarImage: string;
  /** PVCs for persistentVolumeDirs, by path. */
  claims: { path: string; claimName: string }[];
}

export interface DevStartPlan {
  container: string;
  /** Marks the pods of this plan (DEV_HASH_ANNOTATION); the same for a repeated start. */
  devHash: string;
  /** What dev end restores. */
  backup: Backup;
  /** The workload in dev mode: to PUT (replace kinds) or to create (recreate kinds). */
  devObject: KubeObject;
  /**
   * The runner of the dev pod, for a workload that cannot run it itself: a CronJob's Job that runs
   * the dev template now, a DaemonSet's one-replica Deployment (one dev pod, not one per node).
   */
  runner?: KubeObject;
  /**
   * `dev.patches` for the API server to apply after devObject is in place (kinds edited in place;
   * a recreated kind's devObject has them applied already).
   */
  patches: DevPatch[];
}

export function planDevStart(input: DevStartInput): DevStartPlan {
  const { kind, original } = input;
  const template = podTemplate(kind, original);
  if (!template || !Array.isArray(template.spec?.containers) || template.spec.containers.length === 0) {
    throw new NhdError(ErrorCode.KubeApi, `${kind}/${original.metadata.name} has no pod template with containers.`);
  }
  const names = template.spec.containers.map((c) => c.name);
  const container = input.container || names[0]!;
  if (!names.includes(container)) {
    throw new NhdError(ErrorCode.ContainerNotFound, `${kind}/${original.metadata.name} has no container "${container}"; its containers are ${names.join(', ')}.`);
  }
  if (!input.dev.image) {
    throw new NhdError(
      ErrorCode.DevImageMissing,
      `No dev image for ${kind}/${original.metadata.name}: set containers[].dev.image in .nocalhost/config.yaml or the dev.nocalhost annotation, or pass --image.`,
    );
  }
  const backup: Backup = { spec: clone(original.spec), annotations: withoutNhdAnnotations(original.metadata.annotations) };
  const info: DevInfo = { container, image: input.dev.image, workDir: input.dev.workDir, ...(input.dev.shell ? { shell: input.dev.shell } : {}) };
  const devObject = KINDS[kind].strategy === 'recreate' ? freshCopy(kind, original) : clone(original);
  devObject.metadata.annotations = {
    ...backup.annotations,
    [ANNOTATION.owner]: JSON.stringify(input.owner),
    [ANNOTATION.dev]: JSON.stringify(info),
    ...(KINDS[kind].strategy === 'replace' ? { [ANNOTATION.backup]: JSON.stringify(backup) } : {}),
  };
  const devSpec = devPodSpec(podTemplate(kind, devObject)!.spec, container, input);
  const patches = parsePatches(input.dev.patches);
  // The patches are part of what the dev pods run: a changed patch is a new plan.
  const devHash = createHash('sha256').update(JSON.stringify(devSpec)).update(JSON.stringify(patches)).update(input.owner.since).digest('hex').slice(0, 16);
  if (kind === 'pod') {
    devObject.spec = devSpec;
    devObject.metadata.labels = { ...devObject.metadata.labels, [DEV_POD_LABEL]: 'true' };
    devObject.metadata.annotations[DEV_HASH_ANNOTATION] = devHash;
    delete devObject.spec.nodeName;
  } else {
    const devTemplate = podTemplate(kind, devObject)!;
    devTemplate.spec = devSpec;
    devTemplate.metadata = {
      ...devTemplate.metadata,
      labels: { ...devTemplate.metadata?.labels, [DEV_POD_LABEL]: 'true' },
      annotations: { ...devTemplate.metadata?.annotations, [DEV_HASH_ANNOTATION]: devHash },
    };
  }
  const serverPatches = KINDS[kind].strategy === 'replace' ? patches : [];
  switch (kind) {
    case 'deployment':
      devObject.spec.replicas = 1;
      // Paused until the API server has applied dev.patches too, so that they roll out once.
      devObject.spec.paused = serverPatches.length > 0;
      // As Nocalhost does: a rolling update would start the dev pod beside the old one, which
      // deadlocks on a ReadWriteOnce claim and briefly runs two copies. The backup restores it.
      devObject.spec.strategy = { type: 'Recreate' };
      break;
    case 'statefulset':
      devObject.spec.replicas = 1;
      break;
    case 'job':
      devJobSpec(devObject.spec);
      break;
    case 'cronjob':
      devObject.spec.suspend = true;
      return { container, devHash, backup, devObject, runner: runnerOf(kind, devObject)!, patches: serverPatches };
    case 'daemonset': {
      // As Nocalhost does: a DaemonSet would run a dev pod per node with one synced; it runs none,
      // and a Deployment of its dev template runs the one dev pod.
      const spec = podTemplate(kind, devObject)!.spec;
      spec['nodeSelector'] = { ...(spec['nodeSelector'] as Record<string, string> | undefined), ...NO_NODE_SELECTOR };
      return { container, devHash, backup, devObject, runner: runnerOf(kind, devObject)!, patches: serverPatches };
    }
    case 'pod':
      break;
  }
  if (KINDS[kind].strategy === 'recreate') return { container, devHash, backup, devObject: applyPatchesLocally(kind, devObject, patches), patches: [] };
  return { container, devHash, backup, devObject, patches: serverPatches };
}

/** The pod spec in dev mode: the target container swapped, the source volume and the sidecar added. */
function devPodSpec(spec: PodSpec, containerName: string, input: DevStartInput): PodSpec {
  const { dev } = input;
  const out = clone(spec);
  const claimVolumes = input.claims.map((claim, i) => ({ name: `nhd-pv-${i}`, claim }));
  out.containers = out.containers.map((c) => (c.name === containerName ? devContainer(c, dev, claimVolumes) : c));
  if (dev.priorityClass) {
    out['priorityClassName'] = dev.priorityClass;
    // The priority the admission plugin resolved for the old class would contradict the new one.
    delete out['priority'];
  }
  out.containers.push({
    name: SIDECAR_NAME,
    image: input.sidecarImage,
    imagePullPolicy: 'IfNotPresent',
    command: KEEP_ALIVE,
    resources: SIDECAR_RESOURCES,
    securityContext: structuredClone(SIDECAR_SECURITY_CONTEXT),
    volumeMounts: [
      { name: SOURCE_VOLUME, mountPath: SIDECAR_ROOT },
      { name: AGENT_VOLUME, mountPath: SIDECAR_AGENT_DIR },
    ],
  });
  out.volumes = [
    ...(out.volumes ?? []).filter((v) => v.name !== SOURCE_VOLUME && v.name !== AGENT_VOLUME),
    { name: SOURCE_VOLUME, emptyDir: {} },
    // The agent is about 40 KB; a few versions of it fit many times over.
    { name: AGENT_VOLUME, emptyDir: { sizeLimit: '16Mi' } },
    ...claimVolumes.map((v) => ({ name: v.name, persistentVolumeClaim: { claimName: v.claim.claimName } })),
  ];
  return out;
}

function devContainer(original: Container, dev: DevSettings, claims: { name: string; claim: { path: string } }[]): Container {
  const c: Container = { ...clone(original), image: dev.image, command: KEEP_ALIVE, workingDir: dev.workDir };
  // Unset, Kubernetes' own default applies (Always for `:latest` or no tag, else IfNotPresent), so
  // a `:latest` dev image is pulled again; the original container's policy was for its own image.
  if (dev.imagePullPolicy) c.imagePullPolicy = dev.imagePullPolicy;
  else delete c.imagePullPolicy;
  delete c.args;
  delete c.livenessProbe;
  delete c.readinessProbe;
  delete c.startupProbe;
  delete c.lifecycle;
  if (dev.resources) c.resources = clone(dev.resources);
  if (dev.env.length > 0) {
    const names = new Set(dev.env.map((e) => e.name));
    c.env = [...(c.env ?? []).filter((e) => !names.has(e.name)), ...dev.env.map((e) => ({ name: e.name, value: e.value }))];
  }
  const mountPaths = new Set([dev.workDir, ...claims.map((v) => v.claim.path)]);
  c.volumeMounts = [
    ...(c.volumeMounts ?? []).filter((m) => !mountPaths.has(m.mountPath)),
    { name: SOURCE_VOLUME, mountPath: dev.workDir },
    ...claims.map((v) => ({ name: v.name, mountPath: v.claim.path })),
  ];
  return c;
}

/** A Job that runs a dev pod: one pod, no deadline, not cleaned up under the developer. */
function devJobSpec(spec: Record<string, unknown>): void {
  delete spec['activeDeadlineSeconds'];
  delete spec['ttlSecondsAfterFinished'];
  spec['parallelism'] = 1;
  spec['completions'] = 1;
  spec['suspend'] = false;
}

/**
 * The runner of a CronJob (a Job of its dev job template) or a DaemonSet (a one-replica
 * Deployment of its dev pod template) in dev mode, built from the workload as it is in the
 * cluster (dev.patches included). Undefined for the kinds that run their dev pod themselves.
 */
export function runnerOf(kind: WorkloadKind, workload: KubeObject): KubeObject | undefined {
  const { name, namespace, uid, annotations } = workload.metadata;
  const metadata = (labels: Record<string, string> | undefined) => ({
    name: runnerName(name),
    namespace: namespace!,
    labels: { ...labels, [RUNNER_LABEL]: 'true' },
    annotations: { [ANNOTATION.owner]: annotations![ANNOTATION.owner]! },
    // Deleting the workload takes its runner with it; not a controller, which would adopt pods.
    ownerReferences: uid ? [{ apiVersion: workload.apiVersion, kind: workload.kind, name, uid, controller: false }] : [],
  });
  switch (kind) {
    case 'cronjob': {
      const jobTemplate = workload.spec.jobTemplate;
      const spec = clone(jobTemplate.spec);
      devJobSpec(spec);
      return { apiVersion: 'batch/v1', kind: 'Job', metadata: metadata(jobTemplate.metadata?.labels), spec };
    }
    case 'daemonset': {
      const template = clone(workload.spec.template);
      const nodeSelector: Record<string, string> = template.spec.nodeSelector ?? {};
      for (const key of Object.keys(NO_NODE_SELECTOR)) delete nodeSelector[key];
      if (Object.keys(nodeSelector).length === 0) delete template.spec.nodeSelector;
      // apps/v1 requires a selector; the template's labels stand in for a malformed one.
      const selector = clone(workload.spec.selector ?? { matchLabels: { ...template.metadata?.labels } });
      selector.matchLabels = { ...selector.matchLabels, [DEV_POD_LABEL]: 'true' };
      return {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: metadata(workload.metadata.labels),
        spec: { replicas: 1, selector, strategy: { type: 'Recreate' }, template, ...(workload.spec.minReadySeconds ? { minReadySeconds: workload.spec.minReadySeconds } : {}) },
      };
    }
    default:
      return undefined;
  }
}

/**
 * The workload as it was: `current` with the backed-up spec and annotations (replace kinds), or
 * the backed-up object made creatable again (recreate kinds). Undefined when there is no backup.
 */
export function planDevEnd(kind: WorkloadKind, current: KubeObject | undefined, recreateBackup: KubeObject | undefined): KubeObject | undefined {
  if (KINDS[kind].strategy === 'recreate') return recreateBackup ? freshCopy(kind, recreateBackup) : undefined;
  return current ? restoreFromBackup(current) : undefined;
}

/** The original object of a workload in dev mode, rebuilt from its backup (replace kinds). */
export function originalOf(current: KubeObject): KubeObject {
  return restoreFromBackup(current) ?? current;
}

/** `current` with the backed-up spec and annotations, or undefined when it has no backup. */
function restoreFromBackup(current: KubeObject): KubeObject | undefined {
  const backup = readBackup(current);
  if (!backup) return undefined;
  const restored = clone(current);
  restored.spec = clone(backup.spec);
  restored.metadata.annotations = { ...backup.annotations };
  delete restored.status;
  return restored;
}

export function readBackup(object: KubeObject): Backup | undefined {
  const text = object.metadata.annotations?.[ANNOTATION.backup];
  if (text === undefined) return undefined;
  try {
    const backup = JSON.parse(text) as Backup;
    return backup && typeof backup === 'object' && 'spec' in backup ? backup : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An object ready to be created again: without what the API server fills in, and for a Job
 * without its generated selector and controller-uid labels (Kubernetes makes new ones).
 */
export function freshCopy(kind: WorkloadKind, object: KubeObject): KubeObject {
  const { name, namespace, labels, annotations, ownerReferences } = object.metadata;
  const copy: KubeObject = {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: { name, ...(namespace ? { namespace } : {}), ...(labels ? { labels: { ...labels } } : {}), ...(annotations ? { annotations: { ...annotations } } : {}), ...(ownerReferences ? { ownerReferences: clone(ownerReferences) } : {}) },
    spec: clone(object.spec),
  };
  if (kind === 'job') {
    delete copy.spec.selector;
    delete copy.spec.manualSelector;
    const templateLabels: Record<string, string> | undefined = copy.spec.template?.metadata?.labels;
    for (const key of JOB_GENERATED_LABELS) delete templateLabels?.[key];
    for (const key of JOB_GENERATED_LABELS) delete copy.metadata.labels?.[key];
  }
  return copy;
}

/** Labels the Job controller generates, and that a recreated Job must not carry over. */
export const JOB_GENERATED_LABELS = ['controller-uid', 'job-name', 'batch.kubernetes.io/controller-uid', 'batch.kubernetes.io/job-name'];

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
