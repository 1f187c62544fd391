import { createHash } from 'node:crypto';
import {
  ErrorCode,
  type DevEndParams,
  type DevEndResult,
  type DevOwner,
  type DevSession,
  type DevSettings,
  type DevStartParams,
  type SyncStatus,
  type WorkloadRef,
} from '../../protocol';
import { defaultDevConfig, loadDevConfigFile, findDevConfigFile, parseDevConfig, selectDevConfig } from '../config';
import { CancelledError, NhdError, throwIfAborted } from '../errors';
import type { KubeObject, Logger } from '../ports';
import type { Progress } from '../rpc/progress';
import { describe, getWorkload, kubeCallAsync, sessionIdOf as sessionId, toNhdError, type Scope } from '../kubeScope';
import type { SyncStartParams } from '../sync/syncService';
import { choosePod, devPodSelector, isPodReady } from '../workloadPods';
import { ANNOTATION, DEV_HASH_ANNOTATION, backupConfigMapName, cronDevJobName, readJsonAnnotation, readOwner } from './annotations';
import { KINDS, podTemplate } from './kinds';
import { SIDECAR_NAME, SIDECAR_ROOT, freshCopy, originalOf, planDevEnd, planDevStart } from './plan';
import { assessDevPod } from './podStatus';
import { messageOf } from '../errors';

/** The sync sidecar's image when the config names none; the local test cluster provides it. */
export const DEFAULT_SIDECAR_IMAGE = 'docker.io/nhd/sidecar:v1';
const DEFAULT_TIMEOUT_SECONDS = 180;
const CONFIG_MAP: { apiVersion: string; kind: string } = { apiVersion: 'v1', kind: 'ConfigMap' };
const POD = { apiVersion: 'v1', kind: 'Pod' };
const HPA = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' };
const PVC = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' };

/** Where a session's dev settings come from: a config file or the workload's annotation, and the container entry in it. */
export type DevSettingsSource = ({ file: string } | { annotation: string }) & { container: string };

export interface DevModeDeps {
  log: Logger;
  identity: string;
  sessionId: string;
  now: () => number;
  /** Called whenever a session changes, so clients hear of it. */
  onSessionChange: (session: DevSession) => void;
  /** The local directory is synced into the dev container while the session lives (omitted: no sync). */
  sync?: {
    start(params: SyncStartParams, onProgress: (message: string) => void): Promise<SyncStatus>;
    stop(sessionId: string): Promise<void>;
  };
  /** The config's portForward pairs start with the session and stop with it. */
  portForwards: {
    startFromConfig(scope: Scope, ref: WorkloadRef, pairs: string[]): Promise<unknown>;
    stopFor(scope: Scope, ref: WorkloadRef): void;
  };
}

/**
 * Dev start and dev end against a cluster: the planner's results applied in crash-safe steps,
 * each visible as progress. Every step can be interrupted (SIGKILL included) and `end` still
 * restores exactly, because the backup is written before anything else changes and lives in the
 * cluster. Operations on one workload are serialized.
 */
export class DevModeService {
  private readonly sessions = new Map<string, DevSession>();
  private readonly busy = new Map<string, Promise<unknown>>();
  /** What each held session was started from, so that its settings can be read again. */
  private readonly started = new Map<string, { params: DevStartParams; original: KubeObject }>();

  constructor(private readonly deps: DevModeDeps) {}

  list(): DevSession[] {
    return [...this.sessions.values()];
  }

  async start(scope: Scope, params: DevStartParams, progress: Progress, signal: AbortSignal): Promise<DevSession> {
    return this.serialized(scope, params, () => this.doStart(scope, params, progress, signal));
  }

  async end(scope: Scope, params: DevEndParams, progress: Progress, signal: AbortSignal): Promise<DevEndResult> {
    return this.serialized(scope, params, () => this.doEnd(scope, params, progress, signal));
  }

  private async serialized<T>(scope: Scope, ref: WorkloadRef, work: () => Promise<T>): Promise<T> {
    const id = sessionId(scope, ref);
    const previous = this.busy.get(id) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(work);
    this.busy.set(id, next);
    try {
      return await next;
    } finally {
      if (this.busy.get(id) === next) this.busy.delete(id);
    }
  }

  private async doStart(scope: Scope, params: DevStartParams, progress: Progress, signal: AbortSignal): Promise<DevSession> {
    const { kind } = params;
    const info = KINDS[kind];
    const { cluster, context, namespace } = scope;
    progress.begin(`Dev mode for ${describe(params)}`, `reading ${describe(params)}`, 0);
    let workload = await getWorkload(scope, params);
    const recreateBackup = info.strategy === 'recreate' ? await this.readRecreateBackup(scope, params) : undefined;

    const owner = readOwner(workload.metadata.annotations) ?? recreateBackup?.owner;
    if (owner && owner.identity !== this.deps.identity && !params.force) throw this.ownedByOther(params, owner, 'start');
    const original = recreateBackup?.object ?? (info.strategy === 'replace' ? originalOf(workload) : workload);

    const dev = this.devSettings(params, original);
    this.started.set(sessionId(scope, params), { params: { ...params }, original });
    const me: DevOwner = { identity: this.deps.identity, session: this.deps.sessionId, since: owner?.identity === this.deps.identity ? owner.since : new Date(this.deps.now()).toISOString() };
    const session: DevSession = {
      id: sessionId(scope, params),
      context,
      namespace,
      kind,
      name: params.name,
      container: '',
      image: dev.image,
      workDir: dev.workDir,
      ...(params.localDir ? { localDir: params.localDir } : {}),
      state: 'starting',
      owner: me,
    };
    this.update(session);
    try {
      const claims = await this.ensureClaims(scope, params, dev, progress);
      const plan = planDevStart({
        kind,
        original,
        dev,
        ...(params.container ? { container: params.container } : {}),
        owner: me,
        sidecarImage: dev.sidecarImage || DEFAULT_SIDECAR_IMAGE,
        claims,
      });
      session.container = plan.container;
      await this.holdHpas(scope, params, progress);
      throwIfAborted(signal);

      if (info.strategy === 'replace') {
        if (!workload.metadata.annotations?.[ANNOTATION.backup] || owner?.identity !== this.deps.identity) {
          progress.report('backing up the original spec and taking the owner lock', 15);
          workload = await this.replaceWithLock(scope, params, workload, (w) => {
            w.metadata.annotations = { ...w.metadata.annotations, ...pick(plan.devObject.metadata.annotations!, [ANNOTATION.backup, ANNOTATION.owner, ANNOTATION.dev]) };
          });
        }
        throwIfAborted(signal);
        progress.report(`patching ${describe(params)}: dev image ${dev.image}, sync sidecar, source volume at ${dev.workDir}`, 30);
        // Controllers write the workload too (status, revisions): on a conflict, read it again and
        // re-apply, unless someone else took the lock meanwhile.
        workload = await this.replaceWithLock(scope, params, workload, (w) => {
          const holder = readOwner(w.metadata.annotations);
          if (holder && holder.identity !== me.identity) throw this.ownedByOther(params, holder, 'start');
          w.spec = plan.devObject.spec;
          w.metadata.annotations = plan.devObject.metadata.annotations!;
        });
        if (kind === 'statefulset') await this.deleteNonDevPods(scope, params, workload);
        if (plan.cronDevJob) await this.createCronDevJob(scope, plan.cronDevJob);
      } else {
        progress.report('backing up the original object and taking the owner lock', 15);
        await this.writeRecreateBackup(scope, params, original, me);
        throwIfAborted(signal);
        const current = await cluster.get(context, namespace, info.type, params.name);
        // The same plan again (a repeated start) keeps the dev object and its pod.
        if (!current || podTemplate(kind, current)?.metadata?.annotations?.[DEV_HASH_ANNOTATION] !== plan.devHash) {
          progress.report(`replacing ${describe(params)} with its dev version`, 30);
          if (current) await this.deleteAndWait(scope, params, signal);
          await kubeCallAsync(() => cluster.create(context, plan.devObject));
        }
      }
      const pod = await this.waitForDevPod(scope, params, plan.devHash, params.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS, progress, signal);
      session.pod = pod;
      if (dev.portForward.length > 0) {
        progress.report(`forwarding ${dev.portForward.join(', ')}`, 95);
        try {
          await this.deps.portForwards.startFromConfig(scope, params, dev.portForward);
        } catch (error) {
          // Dev mode is up; a taken local port must not undo it. Say so and go on.
          const warning = `the config's port-forward ${dev.portForward.join(', ')} did not start: ${messageOf(error)}`;
          session.warnings = [...(session.warnings ?? []), warning];
          progress.report(warning);
        }
      }
      const syncWanted = params.sync ?? (params.localDir !== undefined && findDevConfigFile(params.localDir) !== undefined);
      if (params.localDir && syncWanted && this.deps.sync) {
        progress.report(`syncing ${params.localDir} to ${dev.workDir}`, 90);
        try {
          const sync = await this.deps.sync.start(
            {
              sessionId: session.id,
              scope,
              localDir: params.localDir,
              remoteDir: dev.workDir,
              settings: dev.sync,
              pod,
              container: SIDECAR_NAME,
              agentRoot: SIDECAR_ROOT,
              findPod: () => this.currentDevPod(scope, params),
            },
            (message) => progress.report(message),
          );
          if (sync.warnings.length > 0) session.warnings = [...(session.warnings ?? []), ...sync.warnings];
        } catch (error) {
          // Dev mode is up and the session can be resynced; say what failed rather than undo it.
          const warning = messageOf(error);
          session.warnings = [...(session.warnings ?? []), warning];
          progress.report(warning);
        }
      }
      session.state = 'ready';
      this.update(session);
      this.deps.log.log('info', 'dev', 'dev mode started', { id: session.id, pod, image: dev.image });
      progress.done(`${describe(params)} is in dev mode (pod ${pod})`);
      return { ...session };
    } catch (error) {
      session.state = 'failed';
      session.error = messageOf(error);
      this.update(session);
      this.deps.log.log('warn', 'dev', 'dev start failed', { id: session.id, error: session.error });
      progress.done('failed');
      throw error;
    }
  }

  private async doEnd(scope: Scope, params: DevEndParams, progress: Progress, signal: AbortSignal): Promise<DevEndResult> {
    const { kind } = params;
    const info = KINDS[kind];
    const { cluster, context, namespace } = scope;
    progress.begin(`Ending dev mode for ${describe(params)}`, `reading ${describe(params)}`, 0);
    const current = await kubeCallAsync(() => cluster.get(context, namespace, info.type, params.name));
    const recreateBackup = info.strategy === 'recreate' ? await this.readRecreateBackup(scope, params) : undefined;
    if (!current && !recreateBackup) await getWorkload(scope, params);
    const owner = readOwner(current?.metadata.annotations) ?? recreateBackup?.owner;
    const restored = planDevEnd(kind, current, recreateBackup?.object);
    const id = sessionId(scope, params);
    if (!restored) {
      await this.releaseHpas(scope, params, progress);
      this.forget(id);
      progress.done();
      return { ended: false, message: `${describe(params)} is not in dev mode in namespace ${namespace}; nothing to do.` };
    }
    if (owner && owner.identity !== this.deps.identity && !params.force) throw this.ownedByOther(params, owner, 'end');
    const session = this.sessions.get(id);
    if (session) this.update({ ...session, state: 'ending' });
    await this.deps.sync?.stop(id);

    if (info.strategy === 'replace') {
      progress.report(`restoring the original spec of ${describe(params)}`, 30);
      await this.replaceWithLock(scope, params, current!, (w) => {
        w.spec = restored.spec;
        w.metadata.annotations = restored.metadata.annotations ?? {};
      });
      if (kind === 'statefulset') await this.deleteDevPods(scope, params, current!);
      if (kind === 'cronjob') {
        await kubeCallAsync(() => cluster.delete(context, namespace, KINDS.job.type, cronDevJobName(params.name), { propagation: 'Background' }));
      }
    } else {
      progress.report(`recreating the original ${describe(params)}`, 30);
      if (current) await this.deleteAndWait(scope, params, signal);
      await kubeCallAsync(() => cluster.create(context, restored));
      await kubeCallAsync(() => cluster.delete(context, namespace, CONFIG_MAP, backupConfigMapName(kind, params.name)));
    }
    await this.releaseHpas(scope, params, progress);
    this.deps.portForwards.stopFor(scope, params);
    this.forget(id);
    this.deps.log.log('info', 'dev', 'dev mode ended', { id, owner: owner?.identity });
    progress.done(`${describe(params)} is restored`);
    return { ended: true, message: `Dev mode of ${describe(params)} ended; its original spec is restored.` };
  }

  /** The dev settings: local config, else the workload's dev.nocalhost annotation, else defaults; then flags. */
  private devSettings(params: DevStartParams, original: KubeObject): DevSettings & { sidecarImage?: string } {
    return this.resolveSettings(params, original).dev;
  }

  /** The dev settings and where they come from (`source` names a file or the annotation; absent: defaults). */
  private resolveSettings(params: DevStartParams, original: KubeObject): { dev: DevSettings & { sidecarImage?: string }; source?: DevSettingsSource } {
    const workload = { name: params.name, serviceType: params.kind, ...(params.container ? { container: params.container } : {}) };
    let dev: DevSettings | undefined;
    let source: DevSettingsSource | undefined;
    const file = params.localDir ? findDevConfigFile(params.localDir) : undefined;
    if (file) {
      const result = loadDevConfigFile(file, process.env);
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length > 0) {
        throw new NhdError(ErrorCode.ConfigInvalid, `${file} has ${errors.length} error(s); the first: line ${errors[0]!.range.start.line + 1}: ${errors[0]!.message}. Run \`nhd config validate ${file}\`.`, { diagnostics: result.diagnostics });
      }
      const selected = selectDevConfig(result.services, workload).container;
      dev = selected?.dev;
      if (selected) source = { file, container: selected.name };
    }
    const annotation = original.metadata.annotations?.['dev.nocalhost'];
    if (!dev && annotation) {
      const result = parseDevConfig({ text: annotation, fileName: `${params.kind}/${params.name} (dev.nocalhost annotation)`, form: 'annotation', workload: { name: params.name, kind: params.kind }, env: process.env });
      if (!result.diagnostics.some((d) => d.severity === 'error')) {
        const selected = selectDevConfig(result.services, workload).container;
        dev = selected?.dev;
        if (selected) source = { annotation: `${params.kind}/${params.name}`, container: selected.name };
      }
    }
    const settings: DevSettings = structuredClone(dev ?? defaultDevConfig());
    if (params.image) settings.image = params.image;
    if (params.workDir) settings.workDir = params.workDir;
    return source ? { dev: settings, source } : { dev: settings };
  }

  /**
   * The dev settings of a session this daemon holds, resolved again now as dev start resolved
   * them (a local config edited since is read afresh), with where they come from; undefined for a
   * session it does not hold.
   */
  settingsOf(id: string): { dev: DevSettings; source?: DevSettingsSource } | undefined {
    const started = this.started.get(id);
    return started && this.resolveSettings(started.params, started.original);
  }

  /** Reads, edits and PUTs the workload, retrying on a conflict with a concurrent writer. */
  private async replaceWithLock(scope: Scope, ref: WorkloadRef, workload: KubeObject, edit: (w: KubeObject) => void): Promise<KubeObject> {
    const { cluster, context } = scope;
    for (let attempt = 0; ; attempt++) {
      const copy = structuredClone(workload);
      edit(copy);
      try {
        return await cluster.replace(context, copy);
      } catch (error) {
        if (error instanceof NhdError) throw error;
        if ((error as { status?: number }).status !== 409 || attempt >= 4) throw toNhdError(error);
        workload = await getWorkload(scope, ref);
      }
    }
  }

  /** The original object of a recreated kind, and who holds it, from the backup ConfigMap. */
  private async readRecreateBackup(scope: Scope, ref: WorkloadRef): Promise<{ object: KubeObject; owner?: DevOwner } | undefined> {
    const map = await kubeCallAsync(() => scope.cluster.get(scope.context, scope.namespace, CONFIG_MAP, backupConfigMapName(ref.kind, ref.name)));
    const text = (map?.['data'] as Record<string, string> | undefined)?.['object'];
    if (!map || !text) return undefined;
    const owner = readOwner(map.metadata.annotations);
    return { object: JSON.parse(text) as KubeObject, ...(owner ? { owner } : {}) };
  }

  /**
   * Saves the original object in a ConfigMap before it is deleted, so that a crash between the
   * delete and the create loses nothing. An existing backup is the original: never overwrite it.
   */
  private async writeRecreateBackup(scope: Scope, ref: WorkloadRef, original: KubeObject, owner: DevOwner): Promise<void> {
    const name = backupConfigMapName(ref.kind, ref.name);
    const annotations = { [ANNOTATION.owner]: JSON.stringify(owner) };
    if (await kubeCallAsync(() => scope.cluster.get(scope.context, scope.namespace, CONFIG_MAP, name))) {
      await kubeCallAsync(() => scope.cluster.mergePatch(scope.context, scope.namespace, CONFIG_MAP, name, { metadata: { annotations } }));
      return;
    }
    const clean = freshCopy(ref.kind, original);
    delete clean.metadata.annotations?.[ANNOTATION.owner];
    await kubeCallAsync(() =>
      scope.cluster.create(scope.context, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: scope.namespace, labels: { 'nhd.dev/backup-of': `${ref.kind}.${ref.name}`.slice(0, 63) }, annotations },
        data: { object: JSON.stringify(clean) },
      }),
    );
  }

  private async deleteAndWait(scope: Scope, ref: WorkloadRef, signal: AbortSignal): Promise<void> {
    const { cluster, context, namespace } = scope;
    const type = KINDS[ref.kind].type;
    await kubeCallAsync(() => cluster.delete(context, namespace, type, ref.name, { propagation: 'Foreground' }));
    const deadline = this.deps.now() + 120_000;
    while (await cluster.get(context, namespace, type, ref.name)) {
      if (signal.aborted) throw new CancelledError();
      if (this.deps.now() > deadline) throw new NhdError(ErrorCode.DevPodTimeout, `${describe(ref)} was not deleted within 120 s; check its finalizers.`);
      await sleep(200);
    }
  }

  private async createCronDevJob(scope: Scope, job: KubeObject): Promise<void> {
    const existing = await kubeCallAsync(() => scope.cluster.get(scope.context, scope.namespace, KINDS.job.type, job.metadata.name));
    if (existing) await kubeCallAsync(() => scope.cluster.delete(scope.context, scope.namespace, KINDS.job.type, job.metadata.name, { propagation: 'Background' }));
    for (let i = 0; i < 100 && (await scope.cluster.get(scope.context, scope.namespace, KINDS.job.type, job.metadata.name)); i++) await sleep(100);
    await kubeCallAsync(() => scope.cluster.create(scope.context, job));
  }

  /** A StatefulSet rolls a pod only when it is ready; a crashed one would block. Replace them. */
  private async deleteNonDevPods(scope: Scope, ref: WorkloadRef, workload: KubeObject): Promise<void> {
    const selector = devPodSelector(ref.kind, workload).replace(/,?nhd\.dev\/dev-pod=true/, '');
    const pods = await kubeCallAsync(() => scope.cluster.list(scope.context, scope.namespace, POD, selector));
    for (const pod of pods) {
      if (pod.metadata.labels?.['nhd.dev/dev-pod'] !== 'true') await scope.cluster.delete(scope.context, scope.namespace, POD, pod.metadata.name);
    }
  }

  private async deleteDevPods(scope: Scope, ref: WorkloadRef, workload: KubeObject): Promise<void> {
    const pods = await kubeCallAsync(() => scope.cluster.list(scope.context, scope.namespace, POD, devPodSelector(ref.kind, workload)));
    for (const pod of pods) await scope.cluster.delete(scope.context, scope.namespace, POD, pod.metadata.name);
  }

  /** PVCs for persistentVolumeDirs: created once, kept after dev end (that is their point). */
  private async ensureClaims(scope: Scope, ref: WorkloadRef, dev: DevSettings, progress: Progress): Promise<{ path: string; claimName: string }[]> {
    const claims: { path: string; claimName: string }[] = [];
    for (const dir of dev.persistentVolumeDirs) {
      const hash = createHash('sha256').update(`${ref.kind}/${ref.name}:${dir.path}`).digest('hex').slice(0, 8);
      const claimName = `nhd-${ref.name}`.slice(0, 50) + `-${hash}`;
      claims.push({ path: dir.path, claimName });
      if (await kubeCallAsync(() => scope.cluster.get(scope.context, scope.namespace, PVC, claimName))) continue;
      progress.report(`creating a persistent volume claim for ${dir.path}`);
      await kubeCallAsync(() =>
        scope.cluster.create(scope.context, {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: claimName, namespace: scope.namespace, labels: { 'nhd.dev/workload': `${ref.kind}.${ref.name}`.slice(0, 63) }, annotations: { 'nhd.dev/path': dir.path } },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: dir.capacity || '10Gi' } },
            ...(dev.storageClass ? { storageClassName: dev.storageClass } : {}),
          },
        }),
      );
    }
    return claims;
  }

  /** HPAs that scale the workload are held at one replica, as Nocalhost does. */
  private async holdHpas(scope: Scope, ref: WorkloadRef, progress: Progress): Promise<void> {
    for (const hpa of await this.hpasOf(scope, ref)) {
      if (hpa.metadata.annotations?.[ANNOTATION.hpaBackup]) continue;
      progress.report(`holding HorizontalPodAutoscaler ${hpa.metadata.name} at one replica`);
      const backup = JSON.stringify({ minReplicas: hpa.spec.minReplicas ?? null, maxReplicas: hpa.spec.maxReplicas });
      await kubeCallAsync(() =>
        scope.cluster.mergePatch(scope.context, scope.namespace, HPA, hpa.metadata.name, {
          metadata: { annotations: { [ANNOTATION.hpaBackup]: backup } },
          spec: { minReplicas: 1, maxReplicas: 1 },
        }),
      );
    }
  }

  private async releaseHpas(scope: Scope, ref: WorkloadRef, progress: Progress): Promise<void> {
    for (const hpa of await this.hpasOf(scope, ref)) {
      const backup = readJsonAnnotation<{ minReplicas: number | null; maxReplicas: number }>(hpa.metadata.annotations, ANNOTATION.hpaBackup);
      if (!backup) continue;
      progress.report(`restoring HorizontalPodAutoscaler ${hpa.metadata.name}`);
      await kubeCallAsync(() =>
        scope.cluster.mergePatch(scope.context, scope.namespace, HPA, hpa.metadata.name, {
          metadata: { annotations: { [ANNOTATION.hpaBackup]: null } },
          spec: { minReplicas: backup.minReplicas, maxReplicas: backup.maxReplicas },
        }),
      );
    }
  }

  private async hpasOf(scope: Scope, ref: WorkloadRef): Promise<KubeObject[]> {
    const kind = KINDS[ref.kind].type.kind;
    const all = await kubeCallAsync(() => scope.cluster.list(scope.context, scope.namespace, HPA));
    return all.filter((h) => h.spec?.scaleTargetRef?.kind === kind && h.spec?.scaleTargetRef?.name === ref.name);
  }

  /** Watches the dev pods until one is ready; fails on the pod's own fatal reason or on timeout. */
  private async waitForDevPod(scope: Scope, ref: WorkloadRef, devHash: string, timeoutSeconds: number, progress: Progress, signal: AbortSignal): Promise<string> {
    const workload = await getWorkload(scope, ref);
    const selector = ref.kind === 'pod' ? `nhd.dev/dev-pod=true` : devPodSelector(ref.kind, workload);
    const pods = new Map<string, KubeObject>();
    const watchAbort = new AbortController();
    const stop = () => watchAbort.abort();
    signal.addEventListener('abort', stop);
    let lastMessage = 'waiting for the dev pod to be created';
    progress.report(lastMessage, 45);
    try {
      return await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new NhdError(ErrorCode.DevPodTimeout, `The dev pod of ${describe(ref)} was not ready within ${timeoutSeconds} s; last: ${lastMessage}. \`nhd dev end ${ref.kind}/${ref.name} -n ${scope.namespace}\` restores the workload.`)),
          timeoutSeconds * 1000,
        );
        watchAbort.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          if (signal.aborted) reject(new CancelledError());
        });
        const evaluate = () => {
          const candidates = [...pods.values()].filter(
            (p) => (ref.kind !== 'pod' || p.metadata.name === ref.name) && !p.metadata.deletionTimestamp && p.metadata.annotations?.[DEV_HASH_ANNOTATION] === devHash,
          );
          candidates.sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));
          const pod = candidates[0];
          if (!pod) return;
          const assessment = assessDevPod(pod);
          if (assessment.state === 'ready') {
            clearTimeout(timer);
            resolve(pod.metadata.name);
          } else if (assessment.state === 'failed') {
            clearTimeout(timer);
            reject(new NhdError(ErrorCode.DevPodFailed, `Dev mode for ${describe(ref)} failed: ${assessment.message}. \`nhd dev end ${ref.kind}/${ref.name} -n ${scope.namespace}\` restores the workload.`));
          } else if (assessment.message !== lastMessage) {
            lastMessage = assessment.message;
            progress.report(assessment.message, { scheduling: 55, pulling: 70, starting: 85, terminating: 50 }[assessment.step]);
          }
        };
        scope.cluster
          .watch(scope.context, scope.namespace, POD, (type, pod) => {
            if (type === 'DELETED') pods.delete(pod.metadata.name);
            else pods.set(pod.metadata.name, pod);
            evaluate();
          }, watchAbort.signal, selector)
          .catch((error) => reject(error));
      });
    } finally {
      signal.removeEventListener('abort', stop);
      watchAbort.abort();
    }
  }

  /** The ready dev pod of a workload in dev mode now (it changes when the pod restarts). */
  private async currentDevPod(scope: Scope, ref: WorkloadRef): Promise<string> {
    const workload = await getWorkload(scope, ref);
    const selector = ref.kind === 'pod' ? 'nhd.dev/dev-pod=true' : devPodSelector(ref.kind, workload);
    const pods = await kubeCallAsync(() => scope.cluster.list(scope.context, scope.namespace, POD, selector));
    const pod = choosePod(pods.filter((p) => ref.kind !== 'pod' || p.metadata.name === ref.name));
    if (!pod || !isPodReady(pod)) throw new NhdError(ErrorCode.PodNotRunning, `${describe(ref)} has no ready dev pod yet.`);
    const session = this.sessions.get(sessionId(scope, ref));
    if (session && session.pod !== pod.metadata.name) this.update({ ...session, pod: pod.metadata.name });
    return pod.metadata.name;
  }

  private ownedByOther(ref: WorkloadRef, owner: DevOwner, action: 'start' | 'end'): NhdError {
    const ago = formatAgo(this.deps.now() - Date.parse(owner.since));
    const what = `${describe(ref)} is in dev mode, started by ${owner.identity} ${ago} ago (at ${owner.since})`;
    const advice = action === 'start' ? 'ask them to end it, or pass --force to take it over' : 'ask them to end it, or pass --force to end it anyway';
    return new NhdError(ErrorCode.DevModeOwnedByOther, `${what}; ${advice}.`, { owner });
  }

  private update(session: DevSession): void {
    this.sessions.set(session.id, session);
    this.deps.onSessionChange({ ...session });
  }

  private forget(id: string): void {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    this.started.delete(id);
    this.deps.onSessionChange({ ...session, state: 'ended' });
  }
}


function pick(record: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => record[k] !== undefined).map((k) => [k, record[k]!]));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function formatAgo(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 1) return 'less than a minute';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} days`;
}
