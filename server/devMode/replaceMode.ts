import { ErrorCode, type WorkloadRef } from '../../protocol';
import { NhdError, messageOf } from '../errors';
import { describe, getWorkload, kubeCallAsync, type Scope } from '../kubeScope';
import type { KubeObject } from '../ports';
import { devPodSelector } from '../workloadPods';
import { ANNOTATION, DEV_HASH_ANNOTATION, DEV_POD_LABEL, readOwner, runnerName } from './annotations';
import {
  deleteAndWait,
  deleteDevPods,
  deleteNonDevPods,
  deleteRecreateBackup,
  deleteRunner,
  holdHpas,
  putRunner,
  readRecreateBackup,
  releaseHpas,
  replaceWithLock,
  scaleToOneFirst,
  writeRecreateBackup,
} from './clusterOps';
import { KINDS, podTemplate, type KindInfo } from './kinds';
import { ownedByOther } from './ownership';
import { originalOf, planDevEnd, planDevStart, runnerOf } from './plan';
import type { DevPatch } from './patches';
import type { Report, Step } from './steps';
import { need, notInDevMode, type DevModeStrategy, type EndRun, type EndState, type StartRun, type StartState } from './strategy';

/**
 * Replace mode (Nocalhost's): the workload itself becomes the dev workload and goes back at dev
 * end. How depends on the kind (kinds.ts): Deployments, StatefulSets, DaemonSets and CronJobs are
 * edited in place (the backup in an annotation on the workload, one owner-locked PUT for it and
 * another for the dev spec); a Job's and a Pod's spec are immutable, so those are recreated (the
 * original saved in a backup ConfigMap first, then delete and create). The two are the KindStrategy
 * objects below; the steps pick one by the kind and never branch on it.
 */

/** The sync sidecar's image when the config names none; the local test cluster provides it. */
export const DEFAULT_SIDECAR_IMAGE = 'docker.io/nhd/sidecar:v1';

/** What replace mode does differently for an in-place kind and a recreated one. */
interface KindStrategy {
  readForStart(scope: Scope, ref: WorkloadRef): Promise<StartState>;
  readForEnd(scope: Scope, ref: WorkloadRef): Promise<EndState>;
  /** Writes the backup and the owner lock; nothing else has changed yet. */
  backupAndLock(run: StartRun, report: Report): Promise<void>;
  /** Puts the dev spec in place (idempotent: the same plan again keeps the dev pod). */
  apply(run: StartRun, report: Report): Promise<void>;
  restore(run: EndRun, restored: KubeObject, report: Report): Promise<void>;
}

const inPlace: KindStrategy = {
  async readForStart(scope, ref) {
    const current = await getWorkload(scope, ref);
    const owner = readOwner(current.metadata.annotations);
    return { current, original: originalOf(current), ...(owner ? { owner } : {}) };
  },

  async readForEnd(scope, ref) {
    const current = await kubeCallAsync(() => scope.cluster.get(scope.context, scope.namespace, KINDS[ref.kind].type, ref.name));
    if (!current) await getWorkload(scope, ref);
    const owner = readOwner(current?.metadata.annotations);
    const restored = planDevEnd(ref.kind, current, undefined);
    return { ...(current ? { current } : {}), ...(owner ? { owner } : {}), ...(restored ? { restored } : {}) };
  },

  async backupAndLock(run, report) {
    const { scope, params } = run;
    const state = need(run.state, 'state');
    const plan = need(run.plan, 'plan');
    run.workload = state.current;
    // A repeated start by the holder finds its backup in place; anyone else (--force) takes the lock.
    if (state.current.metadata.annotations?.[ANNOTATION.backup] && state.owner?.identity === run.deps.identity) return;
    report('backing up the original spec and taking the owner lock');
    run.workload = await replaceWithLock(scope, params, state.current, (w) => {
      w.metadata.annotations = { ...w.metadata.annotations, ...pick(plan.devObject.metadata.annotations!, [ANNOTATION.backup, ANNOTATION.owner, ANNOTATION.dev]) };
    });
  },

  async apply(run, report) {
    const { scope, params } = run;
    const plan = need(run.plan, 'plan');
    const dev = need(run.dev, 'dev');
    let current = need(run.workload, 'workload');
    // The same plan again, with dev.patches applied on top: putting the unpatched spec back would roll the pods twice.
    const inPlace = plan.patches.length > 0 && podTemplate(params.kind, current)?.metadata?.annotations?.[DEV_HASH_ANNOTATION] === plan.devHash;
    if (!inPlace) {
      // On a conflict replaceWithLock reads the workload again: unless someone took the lock meanwhile.
      const stillMine = (w: KubeObject) => {
        const holder = readOwner(w.metadata.annotations);
        if (holder && holder.identity !== run.deps.identity) throw ownedByOther(params, holder, 'start', run.deps.now());
      };
      let target = current;
      if (params.kind === 'deployment' && current.spec?.replicas !== 1) {
        report(`holding ${describe(params)} at one replica`);
        target = await scaleToOneFirst(scope, params, current, stillMine, { now: run.deps.now, signal: run.signal });
      }
      report(`patching ${describe(params)}: dev image ${dev.image}, sync sidecar, source volume at ${dev.workDir}`);
      run.workload = await replaceWithLock(scope, params, target, (w) => {
        stillMine(w);
        w.spec = plan.devObject.spec;
        w.metadata.annotations = plan.devObject.metadata.annotations!;
      });
      run.workload = await applyServerPatches(scope, params, plan.patches, report) ?? run.workload;
    }
    const workload = need(run.workload, 'workload');
    if (params.kind === 'statefulset') await deleteNonDevPods(scope, params, workload);
    // A CronJob's dev Job, a DaemonSet's dev Deployment: from the template as patched.
    if (plan.runner) await putRunner(scope, plan.patches.length > 0 ? runnerOf(params.kind, workload)! : plan.runner);
  },

  async restore(run, restored, report) {
    const { scope, params } = run;
    const current = need(need(run.state, 'state').current, 'current');
    report(`restoring the original spec of ${describe(params)}`);
    await replaceWithLock(scope, params, current, (w) => {
      w.spec = restored.spec;
      w.metadata.annotations = restored.metadata.annotations ?? {};
    });
    if (params.kind === 'statefulset') await deleteDevPods(scope, params, current);
  },
};

const recreated: KindStrategy = {
  async readForStart(scope, ref) {
    const current = await getWorkload(scope, ref);
    const backup = await readRecreateBackup(scope, ref);
    const owner = readOwner(current.metadata.annotations) ?? backup?.owner;
    return { current, original: backup?.object ?? current, ...(owner ? { owner } : {}) };
  },

  async readForEnd(scope, ref) {
    const current = await kubeCallAsync(() => scope.cluster.get(scope.context, scope.namespace, KINDS[ref.kind].type, ref.name));
    const backup = await readRecreateBackup(scope, ref);
    if (!current && !backup) await getWorkload(scope, ref);
    const owner = readOwner(current?.metadata.annotations) ?? backup?.owner;
    const restored = planDevEnd(ref.kind, current, backup?.object);
    return { ...(current ? { current } : {}), ...(owner ? { owner } : {}), ...(restored ? { restored } : {}) };
  },

  async backupAndLock(run, report) {
    report('backing up the original object and taking the owner lock');
    await writeRecreateBackup(run.scope, run.params, need(run.state, 'state').original, need(run.me, 'me'));
  },

  async apply(run, report) {
    const { scope, params } = run;
    const plan = need(run.plan, 'plan');
    const current = await kubeCallAsync(() => scope.cluster.get(scope.context, scope.namespace, KINDS[params.kind].type, params.name));
    // The same plan again (a repeated start) keeps the dev object and its pod.
    if (current && podTemplate(params.kind, current)?.metadata?.annotations?.[DEV_HASH_ANNOTATION] === plan.devHash) return;
    report(`replacing ${describe(params)} with its dev version`);
    if (current) await deleteAndWait(scope, params, run.deps.now, run.signal);
    await kubeCallAsync(() => scope.cluster.create(scope.context, plan.devObject));
  },

  async restore(run, restored, report) {
    const { scope, params } = run;
    report(`recreating the original ${describe(params)}`);
    if (need(run.state, 'state').current) await deleteAndWait(scope, params, run.deps.now, run.signal);
    await kubeCallAsync(() => scope.cluster.create(scope.context, restored));
    await deleteRecreateBackup(scope, params);
  },
};

/**
 * `dev.patches` in order, by the API server, on the workload in dev mode; then a Deployment the
 * plan paused for them is resumed. Undefined when there are none.
 */
async function applyServerPatches(scope: Scope, ref: WorkloadRef, patches: readonly DevPatch[], report: Report): Promise<KubeObject | undefined> {
  if (patches.length === 0) return undefined;
  const type = KINDS[ref.kind].type;
  let patched: KubeObject | undefined;
  for (const [i, patch] of patches.entries()) {
    report(`applying dev.patches[${i}] (${patch.type})`);
    try {
      patched = await kubeCallAsync(() => scope.cluster.patch(scope.context, scope.namespace, type, ref.name, patch.body, patch.type));
    } catch (error) {
      throw new NhdError(ErrorCode.ConfigInvalid, `dev.patches[${i}] (type ${patch.type}) was refused by the API server: ${messageOf(error)}. Fix the patch in the dev config; \`nhd dev end\` restores the workload.`);
    }
  }
  if (ref.kind === 'deployment') patched = await kubeCallAsync(() => scope.cluster.mergePatch(scope.context, scope.namespace, type, ref.name, { spec: { paused: false } }));
  return patched;
}

const KIND_STRATEGIES: Record<KindInfo['strategy'], KindStrategy> = { replace: inPlace, recreate: recreated };
const forKind = (ref: WorkloadRef): KindStrategy => KIND_STRATEGIES[KINDS[ref.kind].strategy];

export const replaceMode: DevModeStrategy = {
  mode: 'replace',
  readForStart: (scope, ref) => forKind(ref).readForStart(scope, ref),
  readForEnd: (scope, ref) => forKind(ref).readForEnd(scope, ref),

  startSteps: [
    {
      // The pure planner (plan.ts): where dev.patches, priorityClass and the like will apply.
      name: 'plan dev spec',
      share: 2,
      async run(run) {
        const dev = need(run.dev, 'dev');
        const plan = planDevStart({
          kind: run.params.kind,
          original: need(run.state, 'state').original,
          dev,
          container: need(run.container, 'container'),
          owner: need(run.me, 'me'),
          sidecarImage: dev.sidecarImage || DEFAULT_SIDECAR_IMAGE,
          claims: need(run.claims, 'claims'),
        });
        run.plan = plan;
        need(run.session, 'session').container = plan.container;
      },
    },
    { name: 'hold HPAs', share: 5, run: (run, report) => holdHpas(run.scope, run.params, report) },
    { name: 'backup+lock', share: 15, run: (run, report) => forKind(run.params).backupAndLock(run, report) },
    { name: 'apply dev spec', share: 15, run: (run, report) => forKind(run.params).apply(run, report) },
  ] satisfies Step<StartRun>[],

  endSteps: [
    { name: 'restore', share: 50, skip: notInDevMode, run: (run, report) => forKind(run.params).restore(run, need(need(run.state, 'state').restored, 'restored'), report) },
    // Also for a workload no longer in dev mode: a start killed after holding them leaves HPAs held.
    { name: 'release HPAs', share: 15, run: (run, report) => releaseHpas(run.scope, run.params, report) },
    // Also for a workload no longer in dev mode: an end killed right after restoring it leaves the runner.
    { name: 'delete runner', share: 5, skip: (run) => !KINDS[run.params.kind].runner, run: (run) => deleteRunner(run.scope, run.params) },
  ] satisfies Step<EndRun>[],

  async devPods(scope, ref) {
    const workload = await getWorkload(scope, ref);
    const runner = KINDS[ref.kind].runner;
    return {
      selector: ref.kind === 'pod' ? `${DEV_POD_LABEL}=true` : devPodSelector(ref.kind, workload),
      isDevPod: (pod) => ref.kind !== 'pod' || pod.metadata.name === ref.name,
      // nhd creates a bare Pod itself (an error there is the create's own).
      ...(ref.kind === 'pod' ? {} : { creator: runner ? { type: runner, name: runnerName(ref.name) } : { type: KINDS[ref.kind].type, name: ref.name } }),
    };
  },
};

function pick(record: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => record[k] !== undefined).map((k) => [k, record[k]!]));
}
