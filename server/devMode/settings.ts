import { ErrorCode, type DevSettings, type DevStartParams } from '../../protocol';
import { defaultDevConfig, findDevConfigFile, loadDevConfigFile, notAppliedFor, parseDevConfig, selectDevConfig, type ConfigDiagnostic } from '../config';
import { NhdError } from '../errors';
import type { KubeObject } from '../ports';
import { podTemplate } from './kinds';
import { SIDECAR_NAME } from './plan';

/**
 * Which dev settings a session uses: the local `.nocalhost/config.yaml`, else the workload's
 * `dev.nocalhost` annotation, else the defaults; then the flags (`--image`, `--workdir`) on top.
 * `${VAR}` in a config is resolved from the environment the composition root injects (the
 * daemon's own), never read here from the process itself.
 */

/** The environment `${VAR}` reads. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Where a session's dev settings come from: a config file or the workload's annotation, and the container entry in it. */
export type DevSettingsSource = ({ file: string } | { annotation: string }) & { container: string };

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

/** The dev settings, the container they apply to and where they come from. */
export function resolveSettings(params: DevStartParams, original: KubeObject, env: Environment): ResolvedSettings {
  const workload = { name: params.name, serviceType: params.kind, ...(params.container ? { container: params.container } : {}) };
  let dev: ResolvedDevSettings | undefined;
  let source: DevSettingsSource | undefined;
  let warnings: string[] = [];
  const file = params.localDir ? findDevConfigFile(params.localDir) : undefined;
  if (file) {
    const result = loadDevConfigFile(file, env);
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) {
      throw new NhdError(ErrorCode.ConfigInvalid, `${file} has ${errors.length} error(s); the first: line ${errors[0]!.range.start.line + 1}: ${errors[0]!.message}. Run \`nhd config validate ${file}\`.`, { diagnostics: result.diagnostics });
    }
    const { service, container: selected } = selectDevConfig(result.services, workload);
    dev = selected && withService(selected.dev, service);
    if (selected) source = { file, container: selected.name };
    if (service) warnings = located(file, notAppliedFor(result.diagnostics, service, selected));
  }
  const annotation = original.metadata.annotations?.['dev.nocalhost'];
  if (!dev && annotation) {
    const result = parseDevConfig({ text: annotation, fileName: `${params.kind}/${params.name} (dev.nocalhost annotation)`, form: 'annotation', workload: { name: params.name, kind: params.kind }, env });
    if (!result.diagnostics.some((d) => d.severity === 'error')) {
      const { service, container: selected } = selectDevConfig(result.services, workload);
      dev = selected && withService(selected.dev, service);
      if (selected) source = { annotation: `${params.kind}/${params.name}`, container: selected.name };
      if (service) warnings = located(`the dev.nocalhost annotation of ${params.kind}/${params.name}`, notAppliedFor(result.diagnostics, service, selected));
    }
  }
  const settings: ResolvedDevSettings = structuredClone(dev ?? defaultDevConfig());
  if (params.image) settings.image = params.image;
  if (params.workDir) settings.workDir = params.workDir;
  const container = targetContainer(params, original, source, settings.devContainerName);
  return source ? { dev: settings, container, source, warnings } : { dev: settings, container, warnings };
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
    const where = 'file' in source ? source.file : `the dev.nocalhost annotation of ${source.annotation}`;
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
