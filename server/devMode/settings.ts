import { ErrorCode, type DevSettings, type DevStartParams } from '../../protocol';
import { defaultDevConfig, findDevConfigFile, loadDevConfigFile, notAppliedFor, parseDevConfig, selectDevConfig, type ConfigDiagnostic, type DevConfigResult } from '../config';
import { NhdError, messageOf } from '../errors';
import { kubeCallAsync, type Scope } from '../kubeScope';
import type { KubeObject } from '../ports';
import { podTemplate } from './kinds';
import { SIDECAR_NAME } from './plan';

/**
 * Which dev settings a session uses: the local `.nocalhost/config.yaml`, else the workload's
 * `dev.nocalhost` annotation, else its application's `dev.nocalhost.config.<app>` ConfigMap, else
 * the defaults; then the flags (`--image`, `--workdir`) on top.
 * `${VAR}` in a config is resolved from the environment the composition root injects (the
 * daemon's own), never read here from the process itself.
 */

/** The environment `${VAR}` reads. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Where a session's dev settings come from: a config file or the workload's annotation, and the container entry in it. */
type DevSettingsSourceRef = { file: string } | { annotation: string } | { configMap: string };
export type DevSettingsSource = DevSettingsSourceRef & { container: string };

/** The dev settings, the sync sidecar's image if the config names one, and the service's priority class. */
export type ResolvedDevSettings = DevSettings & { sidecarImage?: string; priorityClass?: string };

/** A session's settings: the dev settings, the container they apply to, and where they come from (absent: defaults). */
export interface ResolvedSettings {
  dev: ResolvedDevSettings;
  /** The container dev mode swaps: `--container`, else the config entry's `name`, else the workload's first. */
  container: string;
  source?: DevSettingsSource;
  /** The config's fields that nhd does not act on, set in this entry: each says why (dev start shows them once). */
  warnings: string[];
}

/**
 * A dev config from the cluster: the ConfigMap `dev.nocalhost.config.<app>` of the workload's
 * application (key `config`), as Nocalhost keeps one per application.
 */
export interface ConfigMapSource {
  /** The ConfigMap's name. */
  name: string;
  /** Its `config` key. */
  text: string;
}

/** Nocalhost's ConfigMap of an application's dev config, and the key that holds it (appmeta.CmNamePrefix, CmConfigKey). */
export const CONFIG_MAP_PREFIX = 'dev.nocalhost.config.';
export const CONFIG_MAP_KEY = 'config';

/**
 * The application a workload belongs to, as Nocalhost tells it (resouce_cache's getAppNameOrigin):
 * its `dev.nocalhost/application-name` annotation, else the Helm release that installed it, else
 * the app `nhd app install` recorded on it, else Nocalhost's `default.application`.
 */
export function applicationOf(workload: KubeObject): string {
  const annotations = workload.metadata.annotations ?? {};
  return annotations['dev.nocalhost/application-name'] || annotations['meta.helm.sh/release-name'] || workload.metadata.labels?.['nhd.dev/app'] || 'default.application';
}

/** The ConfigMap source of a workload's dev config, if its application has one (a read that fails is a warning, not a failed start). */
export async function readConfigMapSource(scope: Scope, workload: KubeObject): Promise<{ source?: ConfigMapSource; warning?: string }> {
  const name = `${CONFIG_MAP_PREFIX}${applicationOf(workload)}`;
  try {
    const configMap = await kubeCallAsync(() => scope.cluster.get(scope.context, scope.namespace, { apiVersion: 'v1', kind: 'ConfigMap' }, name));
    const text = (configMap?.['data'] as Record<string, string> | undefined)?.[CONFIG_MAP_KEY];
    return text ? { source: { name, text } } : {};
  } catch (error) {
    return { warning: `the dev config ConfigMap ${name} could not be read (${messageOf(error)}); dev start went on without it` };
  }
}

/**
 * The dev settings, the container they apply to and where they come from. The sources in
 * Nocalhost's order (Application.ReloadSvcCfg): the local `.nocalhost/config.yaml`, then the
 * workload's `dev.nocalhost` annotation, then the application's ConfigMap; the first that holds an
 * entry for the workload wins. A local file with errors fails the start (nhd never guesses past a
 * file the developer is editing); an annotation or ConfigMap with errors is passed over with a warning.
 */
export function resolveSettings(params: DevStartParams, original: KubeObject, env: Environment, configMap?: ConfigMapSource): ResolvedSettings {
  const workload = { name: params.name, serviceType: params.kind, ...(params.container ? { container: params.container } : {}) };
  let dev: ResolvedDevSettings | undefined;
  let source: DevSettingsSource | undefined;
  const warnings: string[] = [];
  /** Takes a parsed source when it has an entry for the workload. */
  const take = (result: DevConfigResult, where: string, ref: DevSettingsSourceRef): void => {
    const { service, container: selected } = selectDevConfig(result.services, workload);
    if (!selected) return;
    dev = withService(selected.dev, service);
    source = { ...ref, container: selected.name };
    if (service) warnings.push(...located(where, notAppliedFor(result.diagnostics, service, selected)));
  };
  /** A cluster source with errors is not used, and says so. */
  const usable = (result: DevConfigResult, where: string): boolean => {
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) warnings.push(`${where} is not used: it has ${errors.length} error(s); the first: line ${errors[0]!.range.start.line + 1}: ${errors[0]!.message}`);
    return errors.length === 0;
  };
  const file = params.localDir ? findDevConfigFile(params.localDir) : undefined;
  if (file) {
    const result = loadDevConfigFile(file, env);
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) {
      throw new NhdError(ErrorCode.ConfigInvalid, `${file} has ${errors.length} error(s); the first: line ${errors[0]!.range.start.line + 1}: ${errors[0]!.message}. Run \`nhd config validate ${file}\`.`, { diagnostics: result.diagnostics });
    }
    take(result, file, { file });
  }
  const annotation = original.metadata.annotations?.['dev.nocalhost'];
  if (!dev && annotation) {
    const where = `the dev.nocalhost annotation of ${params.kind}/${params.name}`;
    const result = parseDevConfig({ text: annotation, fileName: `${params.kind}/${params.name} (dev.nocalhost annotation)`, form: 'annotation', workload: { name: params.name, kind: params.kind }, env });
    if (usable(result, where)) take(result, where, { annotation: `${params.kind}/${params.name}` });
  }
  if (!dev && configMap) {
    const where = `ConfigMap ${configMap.name}`;
    const result = parseDevConfig({ text: configMap.text, fileName: `configmap/${configMap.name} (key ${CONFIG_MAP_KEY})`, form: 'file', env });
    if (usable(result, where)) take(result, where, { configMap: configMap.name });
  }
  const settings: ResolvedDevSettings = structuredClone(dev ?? defaultDevConfig());
  if (params.image) settings.image = params.image;
  if (params.workDir) settings.workDir = params.workDir;
  const found = source as DevSettingsSource | undefined;
  const container = targetContainer(params, original, found, settings.devContainerName);
  return found ? { dev: settings, container, source: found, warnings } : { dev: settings, container, warnings };
}

function located(where: string, diagnostics: readonly ConfigDiagnostic[]): string[] {
  return diagnostics.map((d) => `${where}:${d.range.start.line + 1}: ${d.message}`);
}

/**
 * The container to swap. `--container` wins (its settings are the entry of that name, else the
 * first entry, as Nocalhost's GetContainerDevConfigOrDefault); without it, the entry's `name` picks
 * the container, so `containers: [{name: app}]` on a pod `[proxy, app]` develops `app`. An entry
 * without a name applies to the workload's first container.
 */
function targetContainer(params: DevStartParams, original: KubeObject, source: DevSettingsSource | undefined, devContainerName: string | undefined): string {
  const names = (podTemplate(params.kind, original)?.spec?.containers ?? []).map((c) => c.name).filter((n) => n !== SIDECAR_NAME);
  if (params.container) return params.container;
  if (!source) return names[0] ?? '';
  // `dev.devContainerName` redirects the entry to another container of the workload.
  const [named, field] = devContainerName ? [devContainerName, 'dev.devContainerName'] : [source.container, 'name'];
  if (!named) return names[0] ?? '';
  if (!names.includes(named)) {
    const where = 'file' in source ? source.file : 'annotation' in source ? `the dev.nocalhost annotation of ${source.annotation}` : `ConfigMap ${source.configMap}`;
    throw new NhdError(
      ErrorCode.ContainerNotFound,
      `The dev config entry's \`${field}: ${named}\` in ${where} names no container of ${params.kind}/${params.name}; its containers are ${names.join(', ')}. Fix the entry's ${field} or pass --container.`,
    );
  }
  return named;
}

/** A container entry's settings with what its service adds to the dev pod. */
function withService(dev: DevSettings, service: { priorityClass?: string } | undefined): ResolvedDevSettings {
  return service?.priorityClass ? { ...dev, priorityClass: service.priorityClass } : dev;
}

/**
 * Whether dev start syncs localDir: as asked, else when localDir (or a parent) holds a dev config,
 * so that a stray working directory is never uploaded by accident.
 */
export function wantsSync(params: DevStartParams): params is DevStartParams & { localDir: string } {
  if (!params.localDir) return false;
  return params.sync ?? findDevConfigFile(params.localDir) !== undefined;
}
