import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SyncStartParams } from '../../../server/sync/syncService';
import { appNameOf, installForwards } from '../../../server/app/appService';
import { parseDevConfig, type Field, type FieldType } from '../../../server/config';
import { fieldPaths } from '../../../server/config/fields';
import { ANNOTATION } from '../../../server/devMode/annotations';
import { claimNameOf } from '../../../server/devMode/clusterOps';
import { SIDECAR_NAME } from '../../../server/devMode/plan';
import { resolveSettings } from '../../../server/devMode/settings';
import { makeIgnore } from '../../../server/sync/ignore';
import { configuredShell } from '../../../server/terminal/terminalService';
import { RunService } from '../../../server/run/runService';
import type { KubeObject } from '../../../server/ports';
import { FakeCluster } from '../../fakes/fakeCluster';
import { readySession, REF, scopeOf } from '../../fakes/devSession';
import { ExecCluster } from '../../fakes/execCluster';
import { ALICE, NS, RecordingProgress, harness, never, syncStatus } from '../devMode/support';

/**
 * The field table's statuses, held to the code: every field has one; a field marked applied has a
 * proof here that it reaches the dev workload (a dev start on a fake cluster, through the real
 * steps) or the behaviour; a field marked not applied is a warning that says why. A field newly
 * marked applied without a proof, or a proof of a field that is not marked applied, fails.
 */

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SVC = 'application.services[].';
const CON = `${SVC}containers[].`;
const DEV = `${CON}dev.`;

const PVC = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' };

/** A two-container Deployment `web` (`proxy` first, `app` second) whose dev.nocalhost annotation is `config`. */
function web(config: string): KubeObject {
  const containers = ['proxy', 'app'].map((name) => ({ name, image: `${name}:v1`, imagePullPolicy: 'IfNotPresent', command: ['serve'] }));
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: NS, annotations: { 'dev.nocalhost': config } },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { priority: 0, containers } } },
  };
}

/** The annotation for container `app` with `dev` (YAML lines under dev:) and service-level `service` lines. */
const config = (dev: string, service = '') => `${service}containers:\n  - name: app\n    dev:\n      image: dev:v1\n${dev.replace(/^/gm, '      ')}\n`;

interface Started {
  pod: KubeObject;
  container: Record<string, unknown> & { name: string };
  cluster: FakeCluster;
  forwards: string[][];
  sync?: SyncStartParams;
  workload: KubeObject;
}

/** Dev start of `web` with its config in the annotation, on a fake cluster, through every step; what it made. */
async function devStart(dev: string, service = ''): Promise<Started> {
  const cluster = new FakeCluster();
  cluster.seed(web(config(dev, service)));
  let sync: SyncStartParams | undefined;
  const h = harness(cluster, ALICE, {
    sync: {
      async start(params) {
        sync = params;
        return syncStatus(params);
      },
      async stop() {},
    },
  });
  const localDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nhd-fields-'));
  const session = await h.service.start(h.scope, { kind: 'deployment', name: 'web', localDir, sync: true }, new RecordingProgress(), never);
  const pod = cluster.object('Pod', NS, session.pod!)!;
  const swapped = (pod.spec.containers as { name: string; image: string }[]).find((c) => c.image === 'dev:v1')!;
  return { pod, container: swapped, cluster, forwards: h.forwards.started, ...(sync ? { sync } : {}), workload: cluster.object('Deployment', NS, 'web')! };
}

/** The run the RunService starts for a config (its exec'd command, as text). */
async function runCommandOf(dev: string): Promise<string> {
  const original = web(config(dev));
  const settings = resolveSettings({ kind: 'deployment', name: 'web' }, original, {});
  const cluster = new ExecCluster();
  const service = new RunService({ log: { log() {} }, sync: { onDidApply: () => ({ dispose() {} }) }, sessions: () => [readySession()], settingsOf: () => settings, onChange() {}, graceMs: 50 });
  try {
    await service.start(scopeOf(cluster), REF, {}, { id: 1, output() {}, outputEnded() {}, onClose() {} }, new AbortController().signal);
    return JSON.stringify(cluster.execs.find((e) => e.kind === 'start')?.command);
  } finally {
    service.dispose();
  }
}

/** The consumer is tested elsewhere on the model this config gives: that test must exist. */
function provenBy(file: string, title: string): void {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  expect(text, `${file} has no test "${title}"`).toContain(title);
}

const dev = (yaml: string) => resolveSettings({ kind: 'deployment', name: 'web' }, web(config(yaml)), {}).dev;

type Proof = () => void | Promise<void>;

const proofs: Record<string, Proof> = {
  'configProperties.version': () => {
    expect(parseDevConfig({ text: 'configProperties: { version: v2 }\napplication: { services: [] }\n', fileName: '/c.yaml' }).diagnostics).toEqual([]);
    expect(parseDevConfig({ text: 'configProperties: { version: v3 }\n', fileName: '/c.yaml' }).diagnostics.map((d) => d.code)).toEqual(['unsupported-version']);
  },
  'configProperties.envFile': () => {
    const r = parseDevConfig({ text: 'configProperties: { envFile: e.env }\napplication: { services: [{ name: a, serviceType: pod, containers: [{ dev: { image: "${IMG}" } }] }] }\n', fileName: '/w/c.yaml', readFile: () => 'IMG=from-file:v1\n' });
    expect(r.services[0]?.containers[0]?.dev.image).toBe('from-file:v1');
  },
  'application.name': () => expect(appNameOf({ dir: '/src/x' }, { name: 'bookinfo' })).toBe('bookinfo'),
  [`${SVC}name`]: async () => expect((await devStart('')).container.name).toBe('app'),
  [`${SVC}serviceType`]: () => {
    // The entry of another kind with the same name is not this workload's.
    const original = web('- name: web\n  serviceType: statefulset\n  containers: [{ dev: { image: other:v1 } }]\n');
    expect(resolveSettings({ kind: 'deployment', name: 'web' }, original, {}).dev.image).toBe('');
  },
  [`${SVC}priorityClass`]: async () => {
    const { pod } = await devStart('', 'priorityClass: dev-high\n');
    expect(pod.spec).toMatchObject({ priorityClassName: 'dev-high' });
    expect(pod.spec.priority).toBeUndefined();
  },
  [`${CON}name`]: async () => {
    const { pod } = await devStart('');
    expect((pod.spec.containers as { name: string; image: string }[]).map((c) => `${c.name}=${c.image}`).slice(0, 2)).toEqual(['proxy=proxy:v1', 'app=dev:v1']);
  },
  [`${CON}install.portForward`]: () => {
    const services = parseDevConfig({ text: 'name: web\nserviceType: deployment\ncontainers: [{ install: { portForward: ["39080:9080"] } }]\n', fileName: '/c.yaml' }).services;
    expect(installForwards(services, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }])).toEqual([{ ref: { kind: 'deployment', name: 'web' }, pairs: ['39080:9080'] }]);
  },
  [`${DEV}image`]: async () => expect((await devStart('')).container.image).toBe('dev:v1'),
  [`${DEV}imagePullPolicy`]: async () => {
    expect((await devStart('imagePullPolicy: Always')).container.imagePullPolicy).toBe('Always');
    // Omitted: Kubernetes' own default, not the original container's IfNotPresent.
    expect((await devStart('')).container.imagePullPolicy).toBeUndefined();
  },
  [`${DEV}shell`]: async () => {
    const { workload } = await devStart('shell: bash');
    // What terminals and nhd exec read: the dev annotation's shell, run through configuredShell.
    expect(JSON.parse(workload.metadata.annotations![ANNOTATION.dev]!)).toMatchObject({ container: 'app', shell: 'bash' });
    expect(configuredShell('bash').at(-1)).toBe('bash');
  },
  [`${DEV}workDir`]: async () => {
    const { container } = await devStart('workDir: /src');
    expect(container).toMatchObject({ workingDir: '/src', volumeMounts: expect.arrayContaining([{ name: 'nhd-src', mountPath: '/src' }]) });
  },
  [`${DEV}storageClass`]: async () => {
    const { cluster } = await devStart('storageClass: fast\npersistentVolumeDirs: [{ path: /cache }]');
    expect(cluster.object(PVC, NS, claimNameOf({ kind: 'deployment', name: 'web' }, '/cache'))?.spec).toMatchObject({ storageClassName: 'fast' });
  },
  [`${DEV}devContainerName`]: async () => {
    const { container } = await devStart('devContainerName: proxy');
    expect(container.name).toBe('proxy');
  },
  [`${DEV}resources.limits.cpu`]: async () => expect((await devStart('resources: { limits: { cpu: "2" } }')).container.resources).toEqual({ limits: { cpu: '2' } }),
  [`${DEV}resources.limits.memory`]: async () => expect((await devStart('resources: { limits: { memory: 1Gi } }')).container.resources).toEqual({ limits: { memory: '1Gi' } }),
  [`${DEV}persistentVolumeDirs[].path`]: async () => {
    const { container, pod, cluster } = await devStart('persistentVolumeDirs: [{ path: /cache }]');
    const claimName = claimNameOf({ kind: 'deployment', name: 'web' }, '/cache');
    expect(cluster.object(PVC, NS, claimName)).toBeDefined();
    const volume = (pod.spec.volumes as { name: string; persistentVolumeClaim?: { claimName: string } }[]).find((v) => v.persistentVolumeClaim?.claimName === claimName);
    expect(container.volumeMounts).toContainEqual({ name: volume?.name, mountPath: '/cache' });
  },
  [`${DEV}persistentVolumeDirs[].capacity`]: async () => {
    const { cluster } = await devStart('persistentVolumeDirs: [{ path: /cache, capacity: 3Gi }, { path: /other }]');
    expect(cluster.object(PVC, NS, claimNameOf({ kind: 'deployment', name: 'web' }, '/cache'))?.spec.resources).toEqual({ requests: { storage: '3Gi' } });
    expect(cluster.object(PVC, NS, claimNameOf({ kind: 'deployment', name: 'web' }, '/other'))?.spec.resources).toEqual({ requests: { storage: '10Gi' } });
  },
  [`${DEV}persistentVolumeDirs[].waitForFirstConsumer`]: () => {
    expect(dev('persistentVolumeDirs: [{ path: /cache, waitForFirstConsumer: true }]').persistentVolumeDirs).toEqual([{ path: '/cache', waitForFirstConsumer: true }]);
    provenBy('test/unit/devMode/devModeService.test.ts', 'does not wait for a claim that binds on first use: waitForFirstConsumer, or its StorageClass says so');
  },
  [`${DEV}command.build`]: async () => expect(await runCommandOf('command: { build: ["./build.sh"], run: ["./run.sh"] }')).toMatch(/\.\/build\.sh.*\.\/run\.sh/),
  [`${DEV}command.run`]: async () => expect(await runCommandOf('command: { run: ["./serve.sh", "--port", "9080"] }')).toContain('"./serve.sh","--port","9080"'),
  [`${DEV}command.hotReloadRun`]: async () => expect(await runCommandOf('hotReload: true\ncommand: { run: ["./run.sh"], hotReloadRun: ["./hot.sh"] }')).toContain('./hot.sh'),
  [`${DEV}hotReload`]: async () => {
    expect(await runCommandOf('hotReload: false\ncommand: { run: ["./run.sh"], hotReloadRun: ["./hot.sh"] }')).not.toContain('./hot.sh');
    provenBy('test/unit/run/runService.test.ts', 'hot reload: each process ends (output over) before the next starts');
  },
  [`${DEV}command.debug`]: () => {
    expect(dev('command: { debug: ["dlv", "debug"] }').command.debug).toEqual(['dlv', 'debug']);
    provenBy('test/unit/debug/debugService.test.ts', 'starts command.debug as a debug run when no debugger listens, and forwards its port');
  },
  [`${DEV}command.hotReloadDebug`]: () => {
    expect(dev('command: { hotReloadDebug: ["./hot-debug.sh"] }').command.hotReloadDebug).toEqual(['./hot-debug.sh']);
    // runService.ts picks it exactly as hotReloadRun, for mode debug (`[plain, onReload]`).
    expect(fs.readFileSync(path.join(ROOT, 'server/run/runService.ts'), 'utf8')).toContain("mode === 'debug' ? [debugCommand, hotReloadDebug] : [runCommand, hotReloadRun]");
  },
  [`${DEV}debug.remoteDebugPort`]: () => {
    expect(dev('debug: { remoteDebugPort: 9229 }').debug?.remoteDebugPort).toBe(9229);
    provenBy('test/unit/debug/debugService.test.ts', 'starts command.debug as a debug run when no debugger listens, and forwards its port');
  },
  [`${DEV}debug.language`]: () => {
    expect(dev('debug: { language: java }').debug?.language).toBe('java');
    provenBy('test/unit/debug/debugService.test.ts', 'debugs a config without debug.language in the language its dev image or command.debug says');
  },
  [`${DEV}sync.type`]: async () => {
    expect((await devStart('sync: { type: sendReceive }')).sync?.settings.type).toBe('sendReceive');
    provenBy('test/integration/twoWaySync.test.ts', 'merges both trees at start, then carries edits, adds and deletes both ways');
  },
  [`${DEV}sync.mode`]: async () => {
    expect((await devStart('sync: { mode: gitIgnore }')).sync?.settings.mode).toBe('gitIgnore');
    const ignored = makeIgnore({ mode: 'gitIgnore', gitignoreText: 'dist/\n' });
    expect([ignored('dist/a.js', false), ignored('src/a.js', false)]).toEqual([true, false]);
  },
  [`${DEV}sync.deleteProtection`]: async () => {
    expect((await devStart('sync: { deleteProtection: false }')).sync?.settings.deleteProtection).toBe(false);
    provenBy('test/integration/syncSession.test.ts', 'holds an rm -rf of most of the tree with deleteProtection and reports it');
  },
  [`${DEV}sync.filePattern`]: async () => {
    const { sync } = await devStart('sync: { filePattern: [src] }');
    expect(sync?.settings.filePattern).toEqual(['src']);
    const ignored = makeIgnore({ mode: 'pattern', filePattern: ['src'] });
    expect([ignored('src/a.js', false), ignored('docs/a.md', false)]).toEqual([false, true]);
  },
  [`${DEV}sync.ignoreFilePattern`]: async () => {
    const { sync } = await devStart('sync: { ignoreFilePattern: [node_modules] }');
    expect(sync?.settings.ignoreFilePattern).toEqual(['node_modules']);
    expect(makeIgnore({ mode: 'pattern', ignoreFilePattern: ['node_modules'] })('node_modules/x/index.js', false)).toBe(true);
  },
  [`${DEV}env[].name`]: async () => expect((await devStart('env: [{ name: MODE, value: dev }]')).container.env).toEqual([{ name: 'MODE', value: 'dev' }]),
  [`${DEV}env[].value`]: async () => expect((await devStart('env: [{ name: PORT, value: 9080 }]')).container.env).toEqual([{ name: 'PORT', value: '9080' }]),
  [`${DEV}envFrom.envFile[].path`]: () => {
    const r = parseDevConfig({ text: 'name: a\nserviceType: pod\ncontainers: [{ dev: { envFrom: { envFile: [{ path: dev.env }] }, env: [{ name: B, value: mine }] } }]\n', fileName: '/w/c.yaml', readFile: () => 'A=1\nB=2\n' });
    // Into env (env wins), which the dev container gets (env[].name's proof).
    expect(r.services[0]?.containers[0]?.dev.env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: 'mine' }]);
  },
  [`${DEV}portForward`]: async () => expect((await devStart('portForward: ["18080:9080"]')).forwards).toEqual([['18080:9080']]),
  [`${DEV}sidecarImage`]: async () => {
    const { pod } = await devStart('sidecarImage: my/sidecar:v2');
    expect((pod.spec.containers as { name: string; image: string }[]).find((c) => c.name === SIDECAR_NAME)?.image).toBe('my/sidecar:v2');
  },
  [`${DEV}patches[].patch`]: async () => {
    const { pod } = await devStart('patches: [{ type: merge, patch: \'{"spec":{"template":{"metadata":{"labels":{"patched":"yes"}}}}}\' }]');
    expect(pod.metadata.labels).toMatchObject({ patched: 'yes' });
  },
  [`${DEV}patches[].type`]: async () => {
    const { pod } = await devStart('patches: [{ type: json, patch: \'[{"op":"add","path":"/spec/template/metadata/annotations/patched","value":"json"}]\' }]');
    expect(pod.metadata.annotations).toMatchObject({ patched: 'json' });
  },
};


const paths = fieldPaths();
const leaf = (t: FieldType): boolean => !(t.kind === 'object' || (t.kind === 'array' && !leaf(t.items)));

describe('the field table', () => {
  it('gives every field a status; `parts` only to mappings (or lists of them) whose fields have their own', () => {
    expect(paths.length).toBeGreaterThan(90);
    for (const { path: p, field } of paths) {
      expect(['applied', 'parts', 'notApplied'], p).toContain(field.status.kind);
      if (field.status.kind === 'parts') expect(leaf(field.type), `${p} is marked parts but has no fields`).toBe(false);
      if (field.status.kind === 'notApplied') expect(field.status.why.length, `${p} says why`).toBeGreaterThan(10);
    }
  });

  it('has a proof for each field marked applied, and a proof only for those', () => {
    const appliedPaths = paths.filter(({ field }) => field.status.kind === 'applied').map(({ path: p }) => p);
    expect(appliedPaths.filter((p) => !(p in proofs)), 'applied fields without a proof').toEqual([]);
    expect(Object.keys(proofs).filter((p) => !appliedPaths.includes(p)), 'proofs of fields not marked applied').toEqual([]);
  });

  it('turns each field marked not applied, when a config sets it, into a warning that says why', () => {
    const notApplied = paths.filter((e): e is { path: string; field: Field & { status: { kind: 'notApplied'; why: string } } } => e.field.status.kind === 'notApplied');
    expect(notApplied.map((e) => e.path)).toEqual(expect.arrayContaining([`${DEV}useDevContainer`, `${DEV}gitUrl`, `${CON}hub`, `${SVC}dependLabelSelector`]));
    for (const { path: p, field } of notApplied) {
      const text = configSetting(p, field);
      const warnings = parseDevConfig({ text, fileName: '/w/c.yaml', readFile: () => 'A=1\n' }).diagnostics.filter((d) => d.code === 'not-applied');
      expect(warnings.map((d) => d.message), `${p} in:\n${text}`).toContainEqual(expect.stringContaining(`is not applied by nhd: ${field.status.why}`));
    }
  });
});

describe('each field marked applied reaches the dev workload or the behaviour', () => {
  for (const [p, proof] of Object.entries(proofs)) it(p, proof);
});

/** A config (app-level) that sets the field at `p` to a value that is not its default. */
function configSetting(p: string, field: Field): string {
  const keys = p.split('.');
  const sample = (t: FieldType): string => {
    switch (t.kind) {
      case 'string':
        return t.enum ? JSON.stringify(t.enum.find((e) => !(field.status.kind === 'notApplied' && field.status.same?.includes(e))) ?? t.enum[0]) : '"x"';
      case 'integer':
        return '1';
      case 'boolean':
        return 'true';
      case 'array':
        return `[${sample(t.items)}]`;
      case 'object':
        return `{ ${t.fields[0]!.key}: ${sample(t.fields[0]!.type)} }`;
      case 'any':
        return '{ a: 1 }';
    }
  };
  // From the field outwards: each key's value is a mapping of the key after it (a list of one for `key[]`).
  const wrap = (key: string, v: string) => (key.endsWith('[]') ? `[${v}]` : v);
  let value = sample(field.type);
  for (let i = keys.length - 1; i >= 1; i--) value = `{ ${keys[i]!.replace(/\[\]$/, '')}: ${wrap(keys[i]!, value)} }`;
  return `configProperties: { version: v2 }\n${keys[0]!.replace(/\[\]$/, '')}: ${wrap(keys[0]!, value)}\n`;
}
