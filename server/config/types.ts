// Types shared by the dev-config module: positions, diagnostics and the normalized model.
// Everything here is plain data and JSON-serializable, so that the CLI can print it with --json.

/** A position in a text, 0-based, counted like LSP (line, UTF-16 code unit in that line). */
export interface Position {
  line: number;
  character: number;
}

/** A half-open range [start, end) in a text. */
export interface Range {
  start: Position;
  end: Position;
}

/** Where a piece of the configuration came from. */
export interface SourceRef {
  fileName: string;
  range: Range;
}

export interface ConfigDiagnostic {
  severity: 'error' | 'warning';
  message: string;
  /** The range in the ORIGINAL text that was passed in (see docs/config.md, "Positions"). */
  range: Range;
  /** A stable identifier of the rule, e.g. 'unknown-key', 'duplicate-key', 'invalid-port-pair'. */
  code: string;
  /**
   * Set when the offending text came from an `${_INCLUDE_}` file: the file and the range in it.
   * The `range` above then points at the include expression in the original text.
   */
  origin?: SourceRef;
}

export interface DevConfigInput {
  text: string;
  /** Absolute path of the text; includes and envFile resolve relative to its directory. */
  fileName: string;
  /**
   * 'file': a `.nocalhost/config.yaml` (app-level, a list of services or one service).
   * 'annotation': the value of a workload's `dev.nocalhost` annotation (name and serviceType come from the workload).
   * 'manifest': Kubernetes manifests whose workloads carry `dev.nocalhost` annotations.
   * Default: 'file', or 'manifest' when the text's documents have apiVersion and kind.
   */
  form?: 'file' | 'annotation' | 'manifest';
  /** For the annotation form: the workload that carries the annotation. */
  workload?: { name: string; kind: string };
  /** Variables for `${VAR}`; they win over configProperties.envFile, like Nocalhost. Default: none. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Reads an absolute path for `_INCLUDE_`, envFile and envFrom; undefined means "cannot read". */
  readFile?: (absPath: string) => string | undefined;
}

export type ServiceType = 'deployment' | 'statefulset' | 'daemonset' | 'job' | 'cronjob' | 'pod';

export interface EnvVar {
  name: string;
  value: string;
}

export interface EnvFrom {
  /** Paths are made absolute (relative ones resolve against the file that names them). */
  envFile: { path: string }[];
}

// A type alias (not an interface) so that it is assignable to Record<string, string>.
export type QuotaList = {
  cpu?: string;
  memory?: string;
};

export interface ResourceQuota {
  limits?: QuotaList;
  requests?: QuotaList;
}

export interface PersistentVolumeDir {
  path: string;
  capacity?: string;
  waitForFirstConsumer?: boolean;
}

export interface DevCommands {
  build: string[];
  run: string[];
  debug: string[];
  hotReloadRun: string[];
  hotReloadDebug: string[];
}

export type DebugLanguage = 'node' | 'java' | 'go' | 'python' | 'php' | 'ruby';

export interface DebugConfig {
  remoteDebugPort?: number;
  language?: DebugLanguage;
}

export interface SyncConfig {
  /** 'send' is one-way (Nocalhost's send and sendonly), 'sendReceive' two-way. Default 'send'. */
  type: 'send' | 'sendReceive';
  /** Default 'pattern'. */
  mode: 'pattern' | 'gitIgnore';
  /** Default ['./'] (everything). */
  filePattern: string[];
  ignoreFilePattern: string[];
  /** Default true. */
  deleteProtection: boolean;
}

export interface PatchItem {
  patch: string;
  /** Default 'strategic'. */
  type: 'strategic' | 'merge' | 'json';
}

export interface DevConfig {
  gitUrl: string;
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** '' means "whichever of zsh, bash, sh exists", as Nocalhost does. */
  shell: string;
  /** Default /home/nocalhost-dev. */
  workDir: string;
  storageClass: string;
  devContainerName?: string;
  resources?: ResourceQuota;
  persistentVolumeDirs: PersistentVolumeDir[];
  command: DevCommands;
  debug?: DebugConfig;
  hotReload: boolean;
  useDevContainer: boolean;
  sync: SyncConfig;
  /** envFrom files merged in first, then env; an env entry wins over an envFrom entry of the same name. */
  env: EnvVar[];
  envFrom?: EnvFrom;
  /** "local:remote" pairs (local may be empty: any free port). */
  portForward: string[];
  sidecarImage?: string;
  patches: PatchItem[];
}

export interface InstallConfig {
  env: EnvVar[];
  envFrom?: EnvFrom;
  portForward: string[];
}

export interface ContainerConfig {
  /** '' when omitted: then it applies to the workload's first container. */
  name: string;
  hub?: { image: string };
  install?: InstallConfig;
  dev: DevConfig;
  source: SourceRef;
  /** Set when the container came from an `${_INCLUDE_}` file. */
  origin?: SourceRef;
}

export interface DependLabelSelector {
  pods: string[];
  jobs: string[];
  tcp: string[];
  http: string[];
}

export interface ServiceConfig {
  name: string;
  serviceType: ServiceType;
  priorityClass?: string;
  dependLabelSelector?: DependLabelSelector;
  containers: ContainerConfig[];
  source: SourceRef;
  /** Set when the service came from an `${_INCLUDE_}` file. */
  origin?: SourceRef;
}

export interface ApplicationInfo {
  name: string;
  manifestType: string;
  env: EnvVar[];
}

export interface DevConfigResult {
  services: ServiceConfig[];
  diagnostics: ConfigDiagnostic[];
  /** Present for the app-level shape (configProperties/application). */
  application?: ApplicationInfo;
}

/** How an editor can show documentation (LSP's MarkupKind): the client's capabilities choose. */
export type DocFormat = 'markdown' | 'plaintext';

/** Documentation written in one format. */
export interface ConfigDoc {
  format: DocFormat;
  text: string;
}

export interface ConfigCompletion {
  label: string;
  kind: 'key' | 'value';
  detail?: string;
  documentation?: ConfigDoc;
  insertText?: string;
}

export interface ConfigHover {
  documentation: ConfigDoc;
  range: Range;
}
