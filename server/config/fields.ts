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

/**
 * Whether nhd acts on a field. `applied`: it reaches the dev workload or the behaviour (a test in
 * test/unit/config/fieldStatus.test.ts proves each); `parts`: a mapping or list whose own fields
 * say (only for object types); `notApplied`: read and validated, but nothing acts on it, so a
 * config that sets it gets a `not-applied` warning that says `why` (editor, `nhd config
 * validate`, dev start).
 */
export type FieldStatus =
  | { kind: 'applied' }
  | { kind: 'parts' }
  /** `same`: values for which nhd already does what the field asks (no warning for those). */
  | { kind: 'notApplied'; why: string; same?: readonly (string | boolean)[] };

export interface Field {
  key: string;
  type: FieldType;
  /** What the field means, for hover, completion and the schema's description. */
  doc: string;
  default?: string | number | boolean | readonly string[];
  /** 'file': required in a config file but taken from the workload in the annotation form. */
  required?: 'file';
  status: FieldStatus;
  /** Where nhd's application differs from Nocalhost's. */
  note?: string;
}

const applied: FieldStatus = { kind: 'applied' };
const parts: FieldStatus = { kind: 'parts' };
const notApplied = (why: string, same?: readonly (string | boolean)[]): FieldStatus => (same ? { kind: 'notApplied', why, same } : { kind: 'notApplied', why });

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

const envItem = (status: FieldStatus) =>
  obj(
    [
      { key: 'name', type: str(), doc: 'Name of the environment variable.', status },
      { key: 'value', type: str(), doc: 'Its value. Numbers and booleans are taken as their text.', status },
    ],
    status.kind === 'applied' ? 'envVar' : undefined,
  );

const envFrom = (status: FieldStatus) =>
  obj(
    [
      {
        key: 'envFile',
        type: arr(obj([{ key: 'path', type: str(), doc: 'Path of a KEY=VALUE file, relative to the file that names it.', status }])),
        doc: 'Files of KEY=VALUE lines whose variables are added to the environment. Lines without `=` and lines starting with `#` are skipped.',
        status: status.kind === 'applied' ? parts : status,
      },
    ],
    status.kind === 'applied' ? 'envFrom' : undefined,
  );

const quota = obj(
  [
    { key: 'cpu', type: str({ format: 'quantity', examples: ['500m', '1', '2'] }), doc: 'CPU as a Kubernetes quantity, e.g. `500m` or `2`.', status: applied },
    { key: 'memory', type: str({ format: 'quantity', examples: ['512Mi', '1Gi', '2Gi'] }), doc: 'Memory as a Kubernetes quantity, e.g. `512Mi` or `2Gi`.', status: applied },
  ],
  'quotaList',
);

/** Why the application's install-time fields do nothing: what `nhd app install` does instead. */
const notInstalledThatWay = 'nhd app install applies the raw manifests of the directory it is given (and install.portForward); it does not read this';

const weightedPath = arr(
  obj([
    { key: 'path', type: str(), doc: 'Manifest path, relative to the application source.', status: notApplied(notInstalledThatWay) },
    { key: 'weight', type: str(), doc: 'Ordering weight; lower weights apply first. Written as a string in Nocalhost files.', status: notApplied(notInstalledThatWay) },
  ]),
);

const devFields: readonly Field[] = [
  { key: 'gitUrl', type: str(), doc: 'Git URL of the service\'s source, used by IDE plugins to clone it before entering dev mode.', status: notApplied('nhd does not clone; it syncs the local directory you give it (--local-dir)') },
  { key: 'image', type: str({ examples: ['node:20', 'golang:1.22', 'python:3.12'] }), doc: 'Dev image that replaces the container\'s image in dev mode. It should hold the toolchain and a shell.', status: applied },
  { key: 'imagePullPolicy', type: str({ enum: ['Always', 'IfNotPresent', 'Never'] }), doc: 'Pull policy of the dev image; Kubernetes\' default applies when omitted (Always for `:latest` or no tag, else IfNotPresent).', status: applied },
  { key: 'shell', type: str({ examples: ['bash', 'sh', 'zsh'] }), doc: 'Shell for terminals in the dev container. When empty the first of zsh, bash and sh that exists is used.', default: '', status: applied, note: 'Used by `nhd exec` and editor terminals without a command; a shell the image lacks falls back to sh, with a message.' },
  { key: 'workDir', type: str(), doc: 'Directory in the dev container where the local source is synced and where commands run.', default: '/home/nocalhost-dev', status: applied },
  { key: 'storageClass', type: str(), doc: 'Storage class for the volumes of persistentVolumeDirs; the cluster default when empty.', default: '', status: applied },
  { key: 'devContainerName', type: str({ format: 'dns1123-label' }), doc: 'Name of the container that is replaced; by default the one this entry names.', status: applied },
  {
    key: 'resources',
    type: obj([{ key: 'limits', type: quota, doc: 'Upper bounds for the dev container.', status: parts }, { key: 'requests', type: quota, doc: 'Amounts reserved for the dev container.', status: parts }], 'resources'),
    doc: 'CPU and memory of the dev container in dev mode (limits and requests).',
    status: parts,
  },
  {
    key: 'persistentVolumeDirs',
    type: arr(
      obj(
        [
          { key: 'path', type: str(), doc: 'Absolute directory in the dev container to keep on a persistent volume.', status: applied },
          { key: 'capacity', type: str({ format: 'quantity', examples: ['10Gi'] }), doc: 'Size of the volume, a Kubernetes quantity such as `10Gi`.', status: applied, note: '10Gi when omitted, as Nocalhost.' },
          { key: 'waitForFirstConsumer', type: bool, doc: 'True when the claim binds only once a pod uses it, so dev start does not wait for it to be bound.', status: applied, note: 'Without it nhd waits, as Nocalhost does, until a claim it created is bound (at most --timeout), unless the StorageClass binds on first use.' },
        ],
        'persistentVolumeDir',
      ),
    ),
    doc: 'Directories that survive dev-mode restarts: each gets a PersistentVolumeClaim instead of an emptyDir.',
    status: parts,
    note: 'The claims stay after dev end, so the next session finds the data.',
  },
  {
    key: 'command',
    type: obj(
      [
        { key: 'build', type: strings, doc: 'Command (argv) that builds the service in the dev container.', status: applied, note: 'Runs before run or debug at each start and each hot-reload restart, in the same process group; a failed build does not start the program.' },
        { key: 'run', type: strings, doc: 'Command (argv) that starts the service in the dev container, e.g. `["./run.sh"]`.', status: applied, note: 'Started by `nhd run` (not at dev start).' },
        { key: 'debug', type: strings, doc: 'Command (argv) that starts the service with a debugger listening on debug.remoteDebugPort.', status: applied, note: 'Started by `nhd debug` and editor debug sessions when no debugger listens yet.' },
        { key: 'hotReloadRun', type: strings, doc: 'Command used instead of run when hot reload is on.', status: applied },
        { key: 'hotReloadDebug', type: strings, doc: 'Command used instead of debug when hot reload is on.', status: applied },
      ],
      'devCommands',
    ),
    doc: 'Commands that nhd runs in the dev container: build, run and debug, and their hot-reload variants.',
    status: parts,
  },
  {
    key: 'debug',
    type: obj(
      [
        { key: 'remoteDebugPort', type: { kind: 'integer', format: 'port' }, doc: 'Port in the container where the debugger started by command.debug listens; nhd forwards it to your machine.', status: applied },
        { key: 'language', type: str({ enum: debugLanguages, enumCode: 'invalid-language' }), doc: 'Language of the service, which picks how the debugger is attached: node, java, go, python, php or ruby.', status: applied, note: 'When omitted, taken from command.debug\'s debugger, the dev image\'s name or the source\'s build files; asked for when nothing says one language.' },
      ],
      'debug',
    ),
    doc: 'Remote debugging: the port the debugger listens on and the language.',
    status: parts,
  },
  { key: 'hotReload', type: bool, doc: 'Restart the run (or debug) command each time synced files change.', default: false, status: applied, note: 'The default of `nhd run` and `nhd debug`; their --hot-reload flag overrides it.' },
  { key: 'useDevContainer', type: bool, doc: 'Run a separate dev container next to the original one instead of replacing it.', default: false, status: notApplied('nhd always replaces the container (`true` is treated as `false`)') },
  {
    key: 'sync',
    type: obj(
      [
        { key: 'type', type: str({ enum: syncTypes, enumCode: 'invalid-sync-type' }), doc: '`send`: one-way, local to container (`sendonly` is an alias). `sendReceive`: both ways.', default: 'send', status: applied },
        { key: 'mode', type: str({ enum: syncModes, enumCode: 'invalid-sync-mode' }), doc: '`pattern`: sync what filePattern and ignoreFilePattern select. `gitIgnore`: sync what the .gitignore files of the tree (and ignoreFilePattern) do not ignore.', default: 'pattern', status: applied, note: 'gitIgnore honours every .gitignore in the tree and their changes during a session; filePattern is not used in that mode.' },
        { key: 'deleteProtection', type: bool, doc: 'Hold back a batch that would delete most of the other side and report it instead.', default: true, status: applied },
        { key: 'filePattern', type: strings, doc: 'Paths or patterns, relative to the local directory, to sync. `./` means everything.', default: ['./'], status: applied },
        { key: 'ignoreFilePattern', type: strings, doc: 'Paths or patterns that are never synced, e.g. `.git` or `node_modules`.', default: [], status: applied },
      ],
      'sync',
    ),
    doc: 'How local files are mirrored into workDir.',
    status: parts,
    note: 'Sync runs when dev start is given a local directory that holds (or sits under) the config.',
  },
  { key: 'env', type: arr(envItem(applied)), doc: 'Environment variables set in the dev container (name and value).', status: parts },
  { key: 'envFrom', type: envFrom(applied), doc: 'Environment variables read from files.', status: parts, note: 'The files are read when the config is read; their variables go into the dev container\'s env (env wins).' },
  { key: 'portForward', type: arr(str({ format: 'port-pair', examples: ['8080:8080'] })), doc: 'Ports forwarded from 127.0.0.1 to the dev pod while in dev mode, as `local:remote` (or one port for both; an empty local port picks a free one).', status: applied, note: 'A port that cannot be forwarded (taken) is a warning on the session; dev mode stays up.' },
  { key: 'sidecarImage', type: str(), doc: 'Image of the sync sidecar.', status: applied, note: 'nhd uses its own sidecar (any image with node), not Nocalhost\'s syncthing one; this overrides its image.' },
  {
    key: 'patches',
    type: arr(
      obj(
        [
          { key: 'patch', type: str(), doc: 'The patch, as JSON text, applied to the workload when dev mode starts.', status: applied },
          { key: 'type', type: str({ enum: ['strategic', 'merge', 'json'] }), doc: 'Patch type: strategic merge, JSON merge or JSON patch.', default: 'strategic', status: applied, note: 'A Job, CronJob\'s dev Job or Pod is created patched, so there only merge and json work; a strategic patch there is refused.' },
        ],
        'patch',
      ),
    ),
    doc: 'Extra patches applied to the workload in dev mode, after nhd\'s own changes.',
    status: parts,
  },
];

const devConfig = obj(devFields, 'devConfig');

const notAtInstall = 'nhd app install does not change the manifests it applies';

const containerFields: readonly Field[] = [
  { key: 'name', type: str({ format: 'dns1123-label' }), doc: 'Name of the workload\'s container this entry configures. When omitted the entry applies to the first container.', status: applied },
  {
    key: 'hub',
    type: obj([{ key: 'image', type: str(), doc: 'Image (or part of it) that the container must run for this entry to match.', status: notApplied('nhd has no config hub; entries match by name') }]),
    doc: 'Matching rule used by Nocalhost\'s config hub.',
    status: notApplied('nhd has no config hub; entries match by name'),
  },
  {
    key: 'install',
    type: obj(
      [
        { key: 'env', type: arr(envItem(notApplied(notAtInstall))), doc: 'Environment variables added at install time.', status: notApplied(notAtInstall) },
        { key: 'envFrom', type: envFrom(notApplied(notAtInstall)), doc: 'Environment files added at install time.', status: notApplied(notAtInstall) },
        { key: 'portForward', type: arr(str({ format: 'port-pair' })), doc: 'Ports forwarded after the application is installed, as `local:remote`.', status: applied, note: 'Started by `nhd app install` for the workloads it installed, stopped by `nhd app uninstall`; a taken port is a warning.' },
      ],
      'install',
    ),
    doc: 'Settings applied when the application is installed.',
    status: parts,
  },
  { key: 'dev', type: devConfig, doc: 'Dev-mode settings of this container: image, sync, commands, debugging, ports.', status: parts },
];

const container = obj(containerFields, 'container');

const noDependencies = 'nhd does not wait for dependencies, at install or at dev start';

export const serviceFields: readonly Field[] = [
  { key: 'name', type: str({ format: 'dns1123-subdomain' }), doc: 'Name of the workload (Deployment, StatefulSet, ...) this configures.', required: 'file', status: applied },
  { key: 'serviceType', type: str({ format: 'service-type', enum: serviceTypes, enumCode: 'invalid-service-type' }), doc: 'Kind of the workload, lower-case: deployment, statefulset, daemonset, job, cronjob or pod.', required: 'file', status: applied },
  { key: 'priorityClass', type: str(), doc: 'Priority class of the pod in dev mode.', status: applied },
  {
    key: 'dependLabelSelector',
    type: obj(
      [
        { key: 'pods', type: strings, doc: 'Pods (by name or by label selector such as `app=db`) that must be ready first.', status: notApplied(noDependencies) },
        { key: 'jobs', type: strings, doc: 'Jobs (by name or label selector) that must have completed first.', status: notApplied(noDependencies) },
        { key: 'tcp', type: strings, doc: 'TCP addresses that must accept connections first.', status: notApplied(noDependencies) },
        { key: 'http', type: strings, doc: 'HTTP URLs that must answer first.', status: notApplied(noDependencies) },
      ],
      'dependLabelSelector',
    ),
    doc: 'What this service waits for at install time.',
    status: notApplied(noDependencies),
  },
  { key: 'containers', type: arr(container), doc: 'One entry per container to configure, each with its dev settings.', status: parts },
];

export const service = obj(serviceFields, 'service');

export const appFields: readonly Field[] = [
  {
    key: 'configProperties',
    type: obj([
      { key: 'version', type: str({ enum: ['v2'], enumCode: 'unsupported-version' }), doc: 'Format version; nhd reads v2 (and converts v1, see docs/config.md).', default: 'v2', status: applied },
      { key: 'envFile', type: str(), doc: 'KEY=VALUE file, relative to this file, whose variables fill `${VAR}` templates (the process environment wins).', status: applied },
    ]),
    doc: 'Properties of the config file itself: version and the env file for templating.',
    status: parts,
  },
  { key: 'migrated', type: bool, doc: 'Internal Nocalhost marker for configs converted from v1.', status: notApplied('an internal Nocalhost marker; it changes nothing') },
  {
    key: 'application',
    type: obj(
      [
        { key: 'name', type: str({ format: 'dns1123-subdomain' }), doc: 'Name of the application.', status: applied, note: 'The name `nhd app install` gives the application when --name is not given.' },
        {
          key: 'manifestType',
          type: str({ enum: ['rawManifest', 'rawManifestGit', 'rawManifestLocal', 'helmGit', 'helmRepo', 'helmLocal', 'kustomize', 'kustomizeGit', 'kustomizeLocal'] }),
          doc: 'How the application is installed: raw manifests, a Helm chart or kustomize, from git, a repo or local files.',
          status: notApplied(notInstalledThatWay, ['rawManifest', 'rawManifestLocal']),
        },
        { key: 'resourcePath', type: strings, doc: 'Directories (relative to the source) holding the manifests or the chart.', status: notApplied(notInstalledThatWay) },
        { key: 'ignoredPath', type: strings, doc: 'Manifest paths that are not applied.', status: notApplied(notInstalledThatWay) },
        { key: 'onPreInstall', type: weightedPath, doc: 'Manifests (usually Jobs) applied before install, in weight order.', status: notApplied(notInstalledThatWay) },
        { key: 'onPostInstall', type: weightedPath, doc: 'Manifests applied after install.', status: notApplied(notInstalledThatWay) },
        { key: 'onPreUpgrade', type: weightedPath, doc: 'Manifests applied before upgrade.', status: notApplied(notInstalledThatWay) },
        { key: 'onPostUpgrade', type: weightedPath, doc: 'Manifests applied after upgrade.', status: notApplied(notInstalledThatWay) },
        { key: 'onPreDelete', type: weightedPath, doc: 'Manifests applied before uninstall.', status: notApplied(notInstalledThatWay) },
        { key: 'onPostDelete', type: weightedPath, doc: 'Manifests applied after uninstall.', status: notApplied(notInstalledThatWay) },
        {
          key: 'helmValues',
          type: arr(obj([{ key: 'key', type: str(), doc: 'Values key, e.g. `image.tag`.', status: notApplied(notInstalledThatWay) }, { key: 'value', type: str(), doc: 'Its value.', status: notApplied(notInstalledThatWay) }])),
          doc: 'Helm values given as key/value pairs (like --set).',
          status: notApplied(notInstalledThatWay),
        },
        { key: 'helmVals', type: { kind: 'any' }, doc: 'Helm values given as a nested object (like a values file).', status: notApplied(notInstalledThatWay) },
        { key: 'helmVersion', type: str(), doc: 'Version of the Helm chart.', status: notApplied(notInstalledThatWay) },
        { key: 'env', type: arr(envItem(notApplied(notAtInstall))), doc: 'Environment variables for every workload of the application at install time.', status: notApplied(notAtInstall) },
        { key: 'envFrom', type: envFrom(notApplied(notAtInstall)), doc: 'Environment files for every workload at install time.', status: notApplied(notAtInstall) },
        { key: 'services', type: arr(service), doc: 'Dev configuration of each workload (service) of the application.', status: parts },
      ],
      'application',
    ),
    doc: 'The application: how it is installed and the dev configuration of its services.',
    status: parts,
  },
];

export const appRoot = obj(appFields, 'appConfig');

/** A v1 key and the v2 field Nocalhost's conversion (app/config_converter.go) makes of it. */
export interface V1Field extends Field {
  /** The v2 path it becomes, relative to the service (or the application); absent: the conversion drops it. */
  v2?: string;
}

const v2Status = (p: string): FieldStatus => {
  let fields: readonly Field[] = serviceFields;
  let f: Field | undefined;
  for (const key of p.replace(/\[\]/g, '').split('.')) {
    f = fields.find((x) => x.key === key);
    let t = f?.type;
    while (t?.kind === 'array') t = t.items;
    fields = t?.kind === 'object' ? t.fields : [];
  }
  if (!f) throw new Error(`v1 table: no v2 field ${p}`);
  return f.status.kind === 'parts' ? applied : f.status;
};
const v1 = (key: string, type: FieldType, v2: string, doc: string): V1Field => ({ key, type, doc, v2, status: v2Status(v2) });

/** The services of a v1 config (Nocalhost's ServiceDevOptions), each key with the v2 field it converts to. */
export const v1ServiceFields: readonly V1Field[] = [
  v1('name', str({ format: 'dns1123-subdomain' }), 'name', 'Name of the workload.'),
  v1('serviceType', str({ format: 'service-type', enum: serviceTypes, enumCode: 'invalid-service-type' }), 'serviceType', 'Kind of the workload, lower-case.'),
  v1('gitUrl', str(), 'containers[].dev.gitUrl', 'Git URL of the source.'),
  v1('devContainerImage', str(), 'containers[].dev.image', 'The dev image.'),
  v1('workDir', str(), 'containers[].dev.workDir', 'Where the source is synced in the dev container.'),
  { key: 'syncDirs', type: strings, doc: 'Directories to sync (v1 `dev start -s`).', status: notApplied('Nocalhost\'s v1 to v2 conversion drops it too; list the paths in sync.filePattern') },
  v1('priorityClass', str(), 'priorityClass', 'Priority class of the dev pod.'),
  v1('persistentVolumeDirs', devFields.find((f) => f.key === 'persistentVolumeDirs')!.type, 'containers[].dev.persistentVolumeDirs', 'Directories kept on persistent volumes.'),
  v1('buildCommand', strings, 'containers[].dev.command.build', 'Build command.'),
  v1('runCommand', strings, 'containers[].dev.command.run', 'Run command.'),
  v1('debugCommand', strings, 'containers[].dev.command.debug', 'Debug command.'),
  v1('hotReloadRunCommand', strings, 'containers[].dev.command.hotReloadRun', 'Run command under hot reload.'),
  v1('hotReloadDebugCommand', strings, 'containers[].dev.command.hotReloadDebug', 'Debug command under hot reload.'),
  v1('devContainerShell', str(), 'containers[].dev.shell', 'Shell of terminals.'),
  v1('devContainerResources', devFields.find((f) => f.key === 'resources')!.type, 'containers[].dev.resources', 'Resources of the dev container.'),
  v1('devPorts', arr(str({ format: 'port-pair' })), 'containers[].dev.portForward', 'Ports forwarded in dev mode, as `local:remote`.'),
  v1('dependJobsLabelSelector', strings, 'dependLabelSelector.jobs', 'Jobs that must have completed first.'),
  v1('dependPodsLabelSelector', strings, 'dependLabelSelector.pods', 'Pods that must be ready first.'),
  v1('syncFilePattern', strings, 'containers[].dev.sync.filePattern', 'What to sync.'),
  v1('ignoreFilePattern', strings, 'containers[].dev.sync.ignoreFilePattern', 'What not to sync.'),
];

/** A v1 config (Nocalhost's NocalHostAppConfig): the application's keys at the top, services beside them. */
export const v1AppFields: readonly V1Field[] = [
  { key: 'name', type: str({ format: 'dns1123-subdomain' }), doc: 'Name of the application.', v2: 'application.name', status: applied },
  { key: 'manifestType', type: str(), doc: 'How the application is installed.', v2: 'application.manifestType', status: notApplied(notInstalledThatWay, ['rawManifest', 'rawManifestLocal']) },
  { key: 'resourcePath', type: strings, doc: 'Directories holding the manifests.', v2: 'application.resourcePath', status: notApplied(notInstalledThatWay) },
  { key: 'ignoredPath', type: strings, doc: 'Manifest paths that are not applied.', v2: 'application.ignoredPath', status: notApplied(notInstalledThatWay) },
  { key: 'onPreInstall', type: weightedPath, doc: 'Manifests applied before install.', v2: 'application.onPreInstall', status: notApplied(notInstalledThatWay) },
  { key: 'services', type: arr(obj(v1ServiceFields, 'v1Service')), doc: 'The services, in v1 form.', v2: 'application.services', status: parts },
];

export const v1Root = obj(v1AppFields, 'v1Config');

/** The v2 place of a v1 key, for a hint where a v2 config uses one. */
export function v2PathOfV1Key(key: string): string | undefined {
  return v1ServiceFields.find((f) => f.key === key && f.v2 !== undefined && f.v2 !== f.key)?.v2;
}

/** The status as people read it: in hover, the schema's descriptions and docs/config.md. */
export function statusText(status: FieldStatus): string {
  switch (status.kind) {
    case 'applied':
      return 'applied';
    case 'parts':
      return 'as its fields say';
    case 'notApplied':
      return `not applied: ${status.why}`;
  }
}

/** Every field of the table with its path (`application.services[].containers[].dev.image`), each named type once, where it first appears. */
export function fieldPaths(): { path: string; field: Field }[] {
  const out: { path: string; field: Field }[] = [];
  const seen = new Set<string>();
  const visit = (fields: readonly Field[], prefix: string): void => {
    for (const f of fields) {
      const p = `${prefix}${f.key}`;
      out.push({ path: p, field: f });
      let t = f.type;
      let suffix = '';
      while (t.kind === 'array') {
        t = t.items;
        suffix += '[]';
      }
      if (t.kind !== 'object') continue;
      if (t.name !== undefined && seen.has(t.name)) continue;
      if (t.name !== undefined) seen.add(t.name);
      visit(t.fields, `${p}${suffix}.`);
    }
  };
  visit(appFields, '');
  return out;
}

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
