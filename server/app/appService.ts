import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ErrorCode, type AppInstallParams, type AppInstallResult, type AppObject, type AppUninstallResult, type PortForward, type WorkloadRef } from '../../protocol';
import { findDevConfigFile, loadDevConfigFile } from '../config';
import { CancelledError, NhdError, messageOf } from '../errors';
import { kubeCallAsync, type Scope } from '../kubeScope';
import type { KubeObject } from '../ports';
import type { Progress } from '../rpc/progress';

/** Every object of an app carries this label; the record ConfigMap lists them for uninstall. */
export const APP_LABEL = 'nhd.dev/app';
const FIELD_MANAGER = 'nhd';
const CONFIG_MAP = { apiVersion: 'v1', kind: 'ConfigMap' };

/** Kinds that live outside namespaces (the common ones; others are assumed namespaced). */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'StorageClass',
  'PersistentVolume',
  'PriorityClass',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
]);

/** Apply order, as Helm does it: what others depend on first. */
const ORDER = [
  'Namespace', 'CustomResourceDefinition', 'PriorityClass', 'StorageClass', 'ServiceAccount', 'Secret', 'ConfigMap',
  'PersistentVolume', 'PersistentVolumeClaim', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Service',
  'DaemonSet', 'Pod', 'Deployment', 'StatefulSet', 'Job', 'CronJob', 'HorizontalPodAutoscaler', 'Ingress',
];

function recordName(app: string): string {
  return `nhd-app-${app}`.slice(0, 253);
}

/** Reads every manifest of a directory (Nocalhost's rawManifest), in file order. */
export function readManifests(dir: string): KubeObject[] {
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  } catch {
    throw new NhdError(ErrorCode.FileNotReadable, `Cannot read the manifest directory ${dir}.`);
  }
  if (files.length === 0) throw new NhdError(ErrorCode.ManifestInvalid, `${dir} has no *.yaml, *.yml or *.json manifests.`);
  const objects: KubeObject[] = [];
  for (const file of files) {
    const full = path.join(dir, file);
    for (const doc of parseAllDocuments(fs.readFileSync(full, 'utf8'))) {
      if (doc.errors.length > 0) {
        const e = doc.errors[0]!;
        throw new NhdError(ErrorCode.ManifestInvalid, `${full}:${(e.linePos?.[0]?.line ?? 0)}: ${e.message}`);
      }
      const value = doc.toJS() as KubeObject | null;
      if (value === null || value === undefined) continue;
      const items = value.kind?.endsWith('List') && Array.isArray(value['items']) ? (value['items'] as KubeObject[]) : [value];
      for (const item of items) {
        if (!item?.apiVersion || !item.kind || !item.metadata?.name) {
          throw new NhdError(ErrorCode.ManifestInvalid, `${full}: every object needs apiVersion, kind and metadata.name.`);
        }
        objects.push(item);
      }
    }
  }
  return objects;
}

/** What the app service needs besides the cluster: the environment configs render with, and the daemon's port-forwards. */
export interface AppDeps {
  env: Readonly<Record<string, string | undefined>>;
  portForwards: {
    startFromConfig(scope: Scope, ref: WorkloadRef, pairs: string[]): Promise<PortForward[]>;
    stopFor(scope: { context: string; namespace: string }, ref: WorkloadRef): void;
  };
}

export class AppService {
  constructor(private readonly deps: AppDeps) {}

  async install(scope: Scope, params: AppInstallParams, progress: Progress, signal: AbortSignal): Promise<AppInstallResult> {
    // The dev config found from the directory upwards (as dev start finds it): its application.name names the app, its install.portForward starts after.
    const configFile = findDevConfigFile(params.dir);
    const config = configFile ? loadDevConfigFile(configFile, this.deps.env) : undefined;
    const name = appNameOf(params, config?.application);
    const objects = readManifests(params.dir);
    objects.sort((a, b) => rank(a.kind) - rank(b.kind));
    progress.begin(`Installing ${name}`, `${objects.length} objects into namespace ${scope.namespace}`, 0);
    await this.ensureNamespace(scope, progress);
    const applied: AppObject[] = [];
    for (const [i, object] of objects.entries()) {
      if (signal.aborted) throw new CancelledError();
      const namespaced = !CLUSTER_SCOPED.has(object.kind);
      if (namespaced) object.metadata.namespace = scope.namespace;
      object.metadata.labels = { ...object.metadata.labels, [APP_LABEL]: name };
      progress.report(`applying ${object.kind}/${object.metadata.name}`, Math.round((i / objects.length) * 50));
      await kubeCallAsync(() => scope.cluster.apply(scope.context, object, FIELD_MANAGER, true));
      applied.push({ apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name, ...(namespaced ? { namespace: scope.namespace } : {}) });
    }
    await this.writeRecord(scope, name, applied);
    if (params.wait ?? true) await this.waitAvailable(scope, objects, (params.timeoutSeconds ?? 300) * 1000, progress, signal);
    const { portForwards, warnings } = await this.startInstallForwards(scope, config?.services ?? [], applied, progress);
    progress.done(`${name} installed`);
    return { name, namespace: scope.namespace, objects: applied, portForwards, ...(warnings.length > 0 ? { warnings } : {}) };
  }

  /**
   * Nocalhost's `install.portForward`: the forwards the dev config (found from the manifest
   * directory upwards, as dev start finds it) lists for the app's workloads, held by the daemon
   * until `nhd app uninstall`, `nhd port-forward --stop` or the daemon's end. A port that cannot be
   * forwarded (taken) is a warning: the app is installed all the same.
   */
  private async startInstallForwards(scope: Scope, services: Parameters<typeof installForwards>[0], applied: AppObject[], progress: Progress): Promise<{ portForwards: PortForward[]; warnings: string[] }> {
    const portForwards: PortForward[] = [];
    const warnings: string[] = [];
    for (const { ref, pairs } of installForwards(services, applied)) {
      progress.report(`forwarding ${pairs.join(', ')} to ${ref.kind}/${ref.name}`);
      try {
        portForwards.push(...(await this.deps.portForwards.startFromConfig(scope, ref, pairs)));
      } catch (error) {
        warnings.push(`install.portForward ${pairs.join(', ')} of ${ref.kind}/${ref.name} did not start: ${messageOf(error)}`);
      }
    }
    return { portForwards, warnings };
  }

  async uninstall(scope: Scope, name: string, progress: Progress): Promise<AppUninstallResult> {
    const record = await kubeCallAsync(() => scope.cluster.get(scope.context, scope.namespace, CONFIG_MAP, recordName(name)));
    const text = (record?.['data'] as Record<string, string> | undefined)?.['objects'];
    if (!record || !text) throw new NhdError(ErrorCode.AppNotFound, `No app "${name}" is installed in namespace ${scope.namespace}; \`nhd app install DIR\` installs one.`);
    const objects = JSON.parse(text) as AppObject[];
    progress.begin(`Uninstalling ${name}`);
    for (const object of [...objects].reverse()) {
      progress.report(`deleting ${object.kind}/${object.name}`);
      await kubeCallAsync(() => scope.cluster.delete(scope.context, object.namespace ?? '', object, object.name, { propagation: 'Background' }));
    }
    await kubeCallAsync(() => scope.cluster.delete(scope.context, scope.namespace, CONFIG_MAP, recordName(name)));
    for (const object of objects) {
      const kind = WORKLOAD_KINDS_BY_KIND[object.kind];
      if (kind) this.deps.portForwards.stopFor(scope, { kind, name: object.name });
    }
    progress.done();
    return { objects };
  }

  /** Creates the target namespace when it does not exist yet, as `helm install --create-namespace` does. */
  private async ensureNamespace(scope: Scope, progress: Progress): Promise<void> {
    const type = { apiVersion: 'v1', kind: 'Namespace' };
    if (await kubeCallAsync(() => scope.cluster.get(scope.context, '', type, scope.namespace))) return;
    progress.report(`creating namespace ${scope.namespace}`);
    await kubeCallAsync(() => scope.cluster.create(scope.context, { ...type, metadata: { name: scope.namespace } }));
  }

  private async writeRecord(scope: Scope, name: string, objects: AppObject[]): Promise<void> {
    await kubeCallAsync(() =>
      scope.cluster.apply(
        scope.context,
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: recordName(name), namespace: scope.namespace, labels: { [APP_LABEL]: name } }, data: { objects: JSON.stringify(objects) } },
        FIELD_MANAGER,
        true,
      ),
    );
  }

  /** Waits until every Deployment, StatefulSet and DaemonSet of the app has all replicas available. */
  private async waitAvailable(scope: Scope, objects: KubeObject[], timeoutMs: number, progress: Progress, signal: AbortSignal): Promise<void> {
    const workloads = objects.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pending: string[] = [];
      for (const w of workloads) {
        const live = await kubeCallAsync(() => scope.cluster.get(scope.context, scope.namespace, w, w.metadata.name));
        if (!live || !isAvailable(live)) pending.push(`${w.kind}/${w.metadata.name}`);
      }
      if (pending.length === 0) return;
      const done = workloads.length - pending.length;
      progress.report(`waiting for ${pending.join(', ')} to be available`, 50 + Math.round((done / workloads.length) * 50));
      if (signal.aborted) throw new CancelledError();
      if (Date.now() > deadline) {
        throw new NhdError(ErrorCode.DevPodTimeout, `${pending.join(', ')} did not become available within ${Math.round(timeoutMs / 1000)} s; \`kubectl describe\` them to see why.`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

function rank(kind: string): number {
  const i = ORDER.indexOf(kind);
  return i < 0 ? ORDER.length : i;
}

export function isAvailable(object: KubeObject): boolean {
  const status = object.status ?? {};
  if (object.metadata.generation !== undefined && status.observedGeneration !== undefined && status.observedGeneration < object.metadata.generation) return false;
  switch (object.kind) {
    case 'DaemonSet':
      return (status.numberAvailable ?? 0) >= (status.desiredNumberScheduled ?? 1) && (status.updatedNumberScheduled ?? 0) >= (status.desiredNumberScheduled ?? 1);
    case 'StatefulSet':
      return (status.readyReplicas ?? 0) >= (object.spec?.replicas ?? 1) && (status.updatedReplicas ?? 0) >= (object.spec?.replicas ?? 1);
    default:
      return (status.availableReplicas ?? 0) >= (object.spec?.replicas ?? 1) && (status.updatedReplicas ?? 0) >= (object.spec?.replicas ?? 1);
  }
}

const WORKLOAD_KINDS_BY_KIND: Record<string, WorkloadRef['kind']> = {
  Deployment: 'deployment',
  StatefulSet: 'statefulset',
  DaemonSet: 'daemonset',
  Job: 'job',
  CronJob: 'cronjob',
  Pod: 'pod',
};

/** The install.portForward pairs of the config's services that are workloads of this app. */
/** The app's name: --name, else the dev config's `application.name`, else the directory's name. */
export function appNameOf(params: { dir: string; name?: string }, application: { name: string } | undefined): string {
  return params.name ?? (application?.name || path.basename(path.resolve(params.dir)));
}

export function installForwards(
  services: readonly { name: string; serviceType: WorkloadRef['kind']; containers: readonly { install?: { portForward: string[] } }[] }[],
  applied: readonly AppObject[],
): { ref: WorkloadRef; pairs: string[] }[] {
  return services.flatMap((service) => {
    const pairs = service.containers.flatMap((c) => c.install?.portForward ?? []);
    const installed = applied.some((o) => WORKLOAD_KINDS_BY_KIND[o.kind] === service.serviceType && o.name === service.name);
    return pairs.length > 0 && installed ? [{ ref: { kind: service.serviceType, name: service.name }, pairs }] : [];
  });
}
