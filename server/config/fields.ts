// The field table: the one description of Nocalhost's v2 dev config that drives validation
// (types, unknown keys, enums, formats), completion, hover and the published JSON Schema.
// The documentation strings are nhd's own words.

/** Named string formats; each has a rule in validate.ts. */
export type StringFormat = 'quantity' | 'port-pair' | 'dns1123-label' | 'dns1123-subdomain' | 'service-type';

export type FieldType =
  | { kind: 'string'; enum?: readonly string[]; enumCode?: string; format?: StringFormat; examples?: readonly string[] }
  | { kind: 'integer'; format?: 'port' }
  | { kind: 'boolean' }
  | { kind: 'object'; name?: string; fields: readonly Field[] }
  | { kind: 'array'; items: FieldType }
  | { kind: 'any' };

export interface Field {
  key: string;
  type: FieldType;
  /** What the field means, for hover, completion and the schema's description. */
  doc: string;
  default?: string | number | boolean | readonly string[];
  /** 'file': required in a config file but taken from the workload in the annotation form. */
  required?: 'file';
  /** How nhd treats the field when it differs from "used as Nocalhost uses it". */
  nhd?: string;
}

const str = (extra: Omit<Extract<FieldType, { kind: 'string' }>, 'kind'> = {}): FieldType => ({ kind: 'string', ...extra });
const strings: FieldType = { kind: 'array', items: { kind: 'string' } };
const bool: FieldType = { kind: 'boolean' };
const obj = (fields: readonly Field[], name?: string): FieldType =>
  name === undefined ? { kind: 'object', fields } : { kind: 'object', name, fields };
const arr = (items: FieldType): FieldType => ({ kind: 'array', items });

export const serviceTypes = ['deployment', 'statefulset', 'daemonset', 'job', 'cronjob', 'pod'] as const;
export const debugLanguages = ['node', 'java', 'go', 'python', 'php', 'ruby'] as const;
export const syncTypes = ['send', 'sendReceive', 'sendonly'] as const;
export const syncModes = ['pattern', 'gitIgnore'] as const;

const envItem = obj(
  [
    { key: 'name', type: str(), doc: 'Name of the environment variable.' },
    { key: 'value', type: str(), doc: 'Its value. Numbers and booleans are taken as their text.' },
  ],
  'envVar',
);

const envFrom = obj(
  [
    {
      key: 'envFile',
      type: arr(obj([{ key: 'path', type: str(), doc: 'Path of a KEY=VALUE file, relative to the file that names it.' }])),
      doc: 'Files of KEY=VALUE lines whose variables are added to the environment. Lines without `=` and lines starting with `#` are skipped.',
    },
  ],
  'envFrom',
);

const quota = obj(
  [
    { key: 'cpu', type: str({ format: 'quantity', examples: ['500m', '1', '2'] }), doc: 'CPU as a Kubernetes quantity, e.g. `500m` or `2`.' },
    { key: 'memory', type: str({ format: 'quantity', examples: ['512Mi', '1Gi', '2Gi'] }), doc: 'Memory as a Kubernetes quantity, e.g. `512Mi` or `2Gi`.' },
  ],
  'quotaList',
);

const weightedPath = arr(
  obj([
    { key: 'path', type: str(), doc: 'Manifest path, relative to the application source.' },
    { key: 'weight', type: str(), doc: 'Ordering weight; lower weights apply first. Written as a string in Nocalhost files.' },
  ]),
);

const devFields: readonly Field[] = [
  { key: 'gitUrl', type: str(), doc: 'Git URL of the service\'s source, used by IDE plugins to clone it before entering dev mode.', nhd: 'Kept in the model; nhd does not clone.' },
  { key: 'image', type: str({ examples: ['node:20', 'golang:1.22', 'python:3.12'] }), doc: 'Dev image that replaces the container\'s image in dev mode. It should hold the toolchain and a shell.' },
  { key: 'imagePullPolicy', type: str({ enum: ['Always', 'IfNotPresent', 'Never'] }), doc: 'Pull policy of the dev image; Kubernetes\' default applies when omitted.' },
  { key: 'shell', type: str({ examples: ['bash', 'sh', 'zsh'] }), doc: 'Shell for terminals in the dev container. When empty the first of zsh, bash and sh that exists is used.', default: '' },
  { key: 'workDir', type: str(), doc: 'Directory in the dev container where the local source is synced and where commands run.', default: '/home/nocalhost-dev' },
  { key: 'storageClass', type: str(), doc: 'Storage class for the volumes of persistentVolumeDirs; the cluster default when empty.', default: '' },
  { key: 'devContainerName', type: str({ format: 'dns1123-label' }), doc: 'Name of the container that is replaced; by default the one this entry names.' },
  { key: 'resources', type: obj([{ key: 'limits', type: quota, doc: 'Upper bounds for the dev container.' }, { key: 'requests', type: quota, doc: 'Amounts reserved for the dev container.' }], 'resources'), doc: 'CPU and memory of the dev container in dev mode (limits and requests).' },
  {
    key: 'persistentVolumeDirs',
    type: arr(
      obj(
        [
          { key: 'path', type: str(), doc: 'Absolute directory in the dev container to keep on a persistent volume.' },
          { key: 'capacity', type: str({ format: 'quantity', examples: ['10Gi'] }), doc: 'Size of the volume, a Kubernetes quantity such as `10Gi`.' },
          { key: 'waitForFirstConsumer', type: bool, doc: 'Whether the claim waits for the pod to be scheduled before it is bound.' },
        ],
        'persistentVolumeDir',
      ),
    ),
    doc: 'Directories that survive dev-mode restarts: each gets a PersistentVolumeClaim instead of an emptyDir.',
  },
  {
    key: 'command',
    type: obj(
      [
        { key: 'build', type: strings, doc: 'Command (argv) that builds the service in the dev container.' },
        { key: 'run', type: strings, doc: 'Command (argv) that starts the service in the dev container, e.g. `["./run.sh"]`.' },
        { key: 'debug', type: strings, doc: 'Command (argv) that starts the service with a debugger listening on debug.remoteDebugPort.' },
        { key: 'hotReloadRun', type: strings, doc: 'Command used instead of run when hot reload restarts the service.' },
        { key: 'hotReloadDebug', type: strings, doc: 'Command used instead of debug when hot reload restarts the service under the debugger.' },
      ],
      'devCommands',
    ),
    doc: 'Commands that nhd runs in the dev container: build, run and debug, and their hot-reload variants.',
  },
  {
    key: 'debug',
    type: obj(
      [
        { key: 'remoteDebugPort', type: { kind: 'integer', format: 'port' }, doc: 'Port in the container where the debugger started by command.debug listens; nhd forwards it to your machine.' },
        { key: 'language', type: str({ enum: debugLanguages, enumCode: 'invalid-language' }), doc: 'Language of the service, which picks how the debugger is attached: node, java, go, python, php or ruby.' },
      ],
      'debug',
    ),
    doc: 'Remote debugging: the port the debugger listens on and the language.',
  },
  { key: 'hotReload', type: bool, doc: 'Restart the run (or debug) command each time synced files change.', default: false },
  { key: 'useDevContainer', type: bool, doc: 'Run a separate dev container next to the original one instead of replacing it.', default: false, nhd: 'Read but not supported: nhd always replaces the container.' },
  {
    key: 'sync',
    type: obj(
      [
        { key: 'type', type: str({ enum: syncTypes, enumCode: 'invalid-sync-type' }), doc: '`send`: one-way, local to container (`sendonly` is an alias). `sendReceive`: both ways.', default: 'send' },
        { key: 'mode', type: str({ enum: syncModes, enumCode: 'invalid-sync-mode' }), doc: '`pattern`: sync what filePattern and ignoreFilePattern select. `gitIgnore`: also honour the .gitignore files.', default: 'pattern' },
        { key: 'deleteProtection', type: bool, doc: 'Hold back a batch that would delete most of the other side and report it instead.', default: true },
        { key: 'filePattern', type: strings, doc: 'Paths or patterns, relative to the local directory, to sync. `./` means everything.', default: ['./'] },
        { key: 'ignoreFilePattern', type: strings, doc: 'Paths or patterns that are never synced, e.g. `.git` or `node_modules`.', default: [] },
      ],
      'sync',
    ),
    doc: 'How local files are mirrored into workDir.',
  },
  { key: 'env', type: arr(envItem), doc: 'Environment variables set in the dev container (name and value).' },
  { key: 'envFrom', type: envFrom, doc: 'Environment variables read from files.' },
  { key: 'portForward', type: arr(str({ format: 'port-pair', examples: ['8080:8080'] })), doc: 'Ports forwarded from 127.0.0.1 to the dev pod while in dev mode, as `local:remote` (or one port for both; an empty local port picks a free one).' },
  { key: 'sidecarImage', type: str(), doc: 'Image of the sync sidecar.', nhd: 'nhd uses its own sidecar (any image with node); this overrides its image.' },
  {
    key: 'patches',
    type: arr(
      obj(
        [
          { key: 'patch', type: str(), doc: 'The patch, as JSON text, applied to the workload when dev mode starts.' },
          { key: 'type', type: str({ enum: ['strategic', 'merge', 'json'] }), doc: 'Patch type: strategic merge, JSON merge or JSON patch.', default: 'strategic' },
        ],
        'patch',
      ),
    ),
    doc: 'Extra patches applied to the workload in dev mode, after nhd\'s own changes.',
  },
];

const devConfig = obj(devFields, 'devConfig');

const containerFields: readonly Field[] = [
  { key: 'name', type: str({ format: 'dns1123-label' }), doc: 'Name of the workload\'s container this entry configures. When omitted the entry applies to the first container.' },
  { key: 'hub', type: obj([{ key: 'image', type: str(), doc: 'Image (or part of it) that the container must run for this entry to match.' }]), doc: 'Matching rule used by Nocalhost\'s config hub.', nhd: 'Read, not used.' },
  {
    key: 'install',
    type: obj(
      [
        { key: 'env', type: arr(envItem), doc: 'Environment variables added at install time.' },
        { key: 'envFrom', type: envFrom, doc: 'Environment files added at install time.' },
        { key: 'portForward', type: arr(str({ format: 'port-pair' })), doc: 'Ports forwarded after the application is installed, as `local:remote`.' },
      ],
      'install',
    ),
    doc: 'Settings applied when Nocalhost installs the application.',
    nhd: 'nhd does not install applications; validated and kept in the model.',
  },
  { key: 'dev', type: devConfig, doc: 'Dev-mode settings of this container: image, sync, commands, debugging, ports.' },
];

const container = obj(containerFields, 'container');

export const serviceFields: readonly Field[] = [
  { key: 'name', type: str({ format: 'dns1123-subdomain' }), doc: 'Name of the workload (Deployment, StatefulSet, ...) this configures.', required: 'file' },
  { key: 'serviceType', type: str({ format: 'service-type', enum: serviceTypes, enumCode: 'invalid-service-type' }), doc: 'Kind of the workload, lower-case: deployment, statefulset, daemonset, job, cronjob or pod.', required: 'file' },
  { key: 'priorityClass', type: str(), doc: 'Priority class of the pod in dev mode.' },
  {
    key: 'dependLabelSelector',
    type: obj(
      [
        { key: 'pods', type: strings, doc: 'Pods (by name or by label selector such as `app=db`) that must be ready first.' },
        { key: 'jobs', type: strings, doc: 'Jobs (by name or label selector) that must have completed first.' },
        { key: 'tcp', type: strings, doc: 'TCP addresses that must accept connections first.' },
        { key: 'http', type: strings, doc: 'HTTP URLs that must answer first.' },
      ],
      'dependLabelSelector',
    ),
    doc: 'What this service waits for at install time.',
    nhd: 'Read, not used by dev mode.',
  },
  { key: 'containers', type: arr(container), doc: 'One entry per container to configure, each with its dev settings.' },
];

export const service = obj(serviceFields, 'service');

export const appFields: readonly Field[] = [
  {
    key: 'configProperties',
    type: obj([
      { key: 'version', type: str({ enum: ['v2'], enumCode: 'unsupported-version' }), doc: 'Format version; nhd reads v2.', default: 'v2' },
      { key: 'envFile', type: str(), doc: 'KEY=VALUE file, relative to this file, whose variables fill `${VAR}` templates (the process environment wins).' },
    ]),
    doc: 'Properties of the config file itself: version and the env file for templating.',
  },
  { key: 'migrated', type: bool, doc: 'Internal Nocalhost marker for configs converted from v1.', nhd: 'Ignored.' },
  {
    key: 'application',
    type: obj(
      [
        { key: 'name', type: str({ format: 'dns1123-subdomain' }), doc: 'Name of the application.' },
        {
          key: 'manifestType',
          type: str({ enum: ['rawManifest', 'rawManifestGit', 'rawManifestLocal', 'helmGit', 'helmRepo', 'helmLocal', 'kustomize', 'kustomizeGit', 'kustomizeLocal'] }),
          doc: 'How the application is installed: raw manifests, a Helm chart or kustomize, from git, a repo or local files.',
        },
        { key: 'resourcePath', type: strings, doc: 'Directories (relative to the source) holding the manifests or the chart.' },
        { key: 'ignoredPath', type: strings, doc: 'Manifest paths that are not applied.' },
        { key: 'onPreInstall', type: weightedPath, doc: 'Manifests (usually Jobs) applied before install, in weight order.' },
        { key: 'onPostInstall', type: weightedPath, doc: 'Manifests applied after install.' },
        { key: 'onPreUpgrade', type: weightedPath, doc: 'Manifests applied before upgrade.' },
        { key: 'onPostUpgrade', type: weightedPath, doc: 'Manifests applied after upgrade.' },
        { key: 'onPreDelete', type: weightedPath, doc: 'Manifests applied before uninstall.' },
        { key: 'onPostDelete', type: weightedPath, doc: 'Manifests applied after uninstall.' },
        { key: 'helmValues', type: arr(obj([{ key: 'key', type: str(), doc: 'Values key, e.g. `image.tag`.' }, { key: 'value', type: str(), doc: 'Its value.' }])), doc: 'Helm values given as key/value pairs (like --set).' },
        { key: 'helmVals', type: { kind: 'any' }, doc: 'Helm values given as a nested object (like a values file).' },
        { key: 'helmVersion', type: str(), doc: 'Version of the Helm chart.' },
        { key: 'env', type: arr(envItem), doc: 'Environment variables for every workload of the application at install time.' },
        { key: 'envFrom', type: envFrom, doc: 'Environment files for every workload at install time.' },
        { key: 'services', type: arr(service), doc: 'Dev configuration of each workload (service) of the application.' },
      ],
      'application',
    ),
    doc: 'The application: how it is installed and the dev configuration of its services.',
    nhd: 'nhd does not install applications; only `services` (and name, env) is used.',
  },
];

export const appRoot = obj(appFields, 'appConfig');

/** Finds a field by key in an object type. */
export function fieldOf(type: FieldType, key: string): Field | undefined {
  return type.kind === 'object' ? type.fields.find((f) => f.key === key) : undefined;
}

/** A short human name of a type, for messages and hover. */
export function typeName(type: FieldType): string {
  switch (type.kind) {
    case 'string':
      return type.enum ? type.enum.map((e) => JSON.stringify(e)).join(' | ') : 'string';
    case 'integer':
      return type.format === 'port' ? 'integer (port)' : 'integer';
    case 'boolean':
      return 'boolean';
    case 'object':
      return 'object';
    case 'array':
      return `${typeName(type.items)}[]`.replace(/^(".*)\[\]$/, '($1)[]');
    case 'any':
      return 'any';
  }
}
