import { RequestType } from 'vscode-jsonrpc';
import type { Range } from './types';

/** A problem found in a dev config, with its exact place in the original text. */
export interface ConfigDiagnostic {
  /** `error`: the config cannot be used as it is; `warning`: it can, but something is likely wrong. */
  severity: 'error' | 'warning';
  /** What is wrong and what to do, in one sentence. */
  message: string;
  /** Where, in the text as the user wrote it (before templating). */
  range: Range;
  /** A stable identifier of the rule, e.g. `unknown-key`, `duplicate-key`, `invalid-port-pair`. */
  code: string;
  /** Set when the offending text came from an `${_INCLUDE_}` file: `range` is then the include's. */
  origin?: ConfigSource;
}

/**
 * Parameters of `nhd/config/validate`: a dev config given by path, or by its text (an editor's
 * unsaved buffer). With `text`, `path` still names the file so that includes and envFile resolve.
 */
export interface ConfigValidateParams {
  /** Absolute path of the config file (`.nocalhost/config.yaml`, or any file in that format). */
  path: string;
  /** The text to validate instead of the file's content on disk. */
  text?: string;
  /** `file` (default) for a config file; `annotation` for the value of a `dev.nocalhost` annotation. */
  form?: 'file' | 'annotation';
}

/** The normalized services and every diagnostic. */
export interface ConfigValidateResult {
  /** The services, normalized, with Nocalhost's field names and defaults applied. */
  services: DevServiceConfig[];
  /** Errors and warnings; the config is valid when none has severity `error`. */
  diagnostics: ConfigDiagnostic[];
}

/**
 * Validates a dev config and returns its normalized services. It does not fail on an invalid
 * config (the diagnostics say what is wrong); it fails with FileNotReadable when `path` cannot be
 * read and no `text` is given.
 */
export namespace ConfigValidateRequest {
  export const method = 'nhd/config/validate' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<ConfigValidateParams, ConfigValidateResult, void>(method);
}

/** Parameters of `nhd/config/load`. */
export interface ConfigLoadParams {
  /** The developer's local source directory; the config is `<localDir>/.nocalhost/config.yaml`. */
  localDir: string;
}

/** The config found for a local directory. */
export interface ConfigLoadResult {
  /** The config file that was read. */
  path: string;
  /** Its services, normalized. */
  services: DevServiceConfig[];
  /** Errors and warnings, as `nhd/config/validate` gives them. */
  diagnostics: ConfigDiagnostic[];
}

/**
 * Finds and reads the dev config of a local source directory. Fails with ConfigNotFound when the
 * directory has no `.nocalhost/config.yaml`.
 */
export namespace ConfigLoadRequest {
  export const method = 'nhd/config/load' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<ConfigLoadParams, ConfigLoadResult, void>(method);
}

/**
 * One service of a dev config (Nocalhost's ServiceConfigV2), normalized: Nocalhost's field names,
 * its defaults applied, relative paths made absolute. The wire twin of server/config's model; the
 * daemon fails to compile if the two drift.
 */
export interface DevServiceConfig {
  /** The workload's name. In the annotation form, the annotated workload's. */
  name: string;
  /** The workload's kind, lower case. */
  serviceType: 'deployment' | 'statefulset' | 'daemonset' | 'job' | 'cronjob' | 'pod';
  /** The PriorityClass of the dev pod, when set. */
  priorityClass?: string;
  /** What this service waits for at install time (kept, not acted on by nhd). */
  dependLabelSelector?: { pods: string[]; jobs: string[]; tcp: string[]; http: string[] };
  /** Its containers' settings; at least one. */
  containers: DevContainerConfig[];
  /** Where this service is defined. */
  source: ConfigSource;
  /** Set when the service came from an `${_INCLUDE_}` file: the file and range there. */
  origin?: ConfigSource;
}

/** Where a config element is defined. */
export interface ConfigSource {
  /** The file, absolute. */
  fileName: string;
  /** The range of the element in that file. */
  range: Range;
}

/** One container of a service. */
export interface DevContainerConfig {
  /** The container's name; empty when omitted (then the workload's first container). */
  name: string;
  /** Nocalhost's hub settings, kept as written. */
  hub?: { image: string };
  /** Install-time settings (Nocalhost's `install`). */
  install?: { env: EnvVar[]; envFrom?: { envFile: { path: string }[] }; portForward: string[] };
  /** How it runs in dev mode. */
  dev: DevSettings;
  /** Where this container is defined. */
  source: ConfigSource;
  /** Set when the container came from an `${_INCLUDE_}` file: the file and range there. */
  origin?: ConfigSource;
}

/** How a container runs in dev mode (Nocalhost's `dev`). */
export interface DevSettings {
  /** Git URL of the source. Not applied by nhd, which does not clone (a `not-applied` warning). */
  gitUrl: string;
  /** The dev image that replaces the container's image. */
  image: string;
  /** The dev container's imagePullPolicy, when set. */
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** The shell of terminals; empty: the first of zsh, bash, sh found. */
  shell: string;
  /** Where the source is synced in the container. Default /home/nocalhost-dev. */
  workDir: string;
  /** StorageClass of persistentVolumeDirs' PVCs; empty: the cluster's default. */
  storageClass: string;
  /** The container to develop in, when not the one named by the service. */
  devContainerName?: string;
  /** Resources of the dev container. */
  resources?: { limits?: { cpu?: string; memory?: string }; requests?: { cpu?: string; memory?: string } };
  /** Directories kept on a PVC across dev sessions. */
  persistentVolumeDirs: { path: string; capacity?: string; waitForFirstConsumer?: boolean }[];
  /** Commands, each an argv list. */
  command: { build: string[]; run: string[]; debug: string[]; hotReloadRun: string[]; hotReloadDebug: string[] };
  /** The remote debugger's port and language. */
  debug?: { remoteDebugPort?: number; language?: 'node' | 'java' | 'go' | 'python' | 'php' | 'ruby' };
  /** Restart command.run after each applied sync batch. */
  hotReload: boolean;
  /** Nocalhost: add a dev container beside the app's instead of replacing it. Not applied by nhd, which always replaces it (a `not-applied` warning). */
  useDevContainer: boolean;
  /** File sync settings. */
  sync: SyncSettings;
  /** Environment of the dev container: envFrom files first, then env (env wins). */
  env: EnvVar[];
  /** Files of `NAME=value` lines merged into env (paths absolute). */
  envFrom?: { envFile: { path: string }[] };
  /** `local:remote` port pairs forwarded while in dev mode (local may be empty: any free port). */
  portForward: string[];
  /** The sync sidecar's image, when set. */
  sidecarImage?: string;
  /** Patches applied to the workload in dev mode. */
  patches: { patch: string; type: 'strategic' | 'merge' | 'json' }[];
}

/** File sync settings. */
export interface SyncSettings {
  /** `send`: local to remote; `sendReceive`: both ways. Default send. */
  type: 'send' | 'sendReceive';
  /** `pattern`: filePattern/ignoreFilePattern decide; `gitIgnore`: the .gitignore files. Default pattern. */
  mode: 'pattern' | 'gitIgnore';
  /** What to sync, relative to the local directory. Default ["./"]. */
  filePattern: string[];
  /** What not to sync. */
  ignoreFilePattern: string[];
  /** Hold a batch that would delete most of the other side. Default true. */
  deleteProtection: boolean;
}

/** An environment variable. */
export interface EnvVar {
  /** The variable's name. */
  name: string;
  /** Its value, after templating. */
  value: string;
}
