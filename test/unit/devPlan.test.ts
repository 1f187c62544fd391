import { describe, expect, it } from 'vitest';
import type { DevOwner, DevSettings } from '../../protocol';
import { defaultDevConfig } from '../../server/config';
import { ANNOTATION, DEV_POD_LABEL, NO_NODE_SELECTOR, RUNNER_LABEL } from '../../server/devMode/annotations';
import { AGENT_VOLUME, KEEP_ALIVE, SIDECAR_NAME, SOURCE_VOLUME, freshCopy, originalOf, planDevEnd, planDevStart } from '../../server/devMode/plan';
import { assessDevPod } from '../../server/devMode/podStatus';
import type { KubeObject } from '../../server/ports';

const owner: DevOwner = { identity: 'alice@laptop', session: 's1', since: '2026-11-25T10:00:00.000Z' };
const dev = (over: Partial<DevSettings> = {}): DevSettings => ({ ...defaultDevConfig(), image: 'dev:1', workDir: '/src', ...over });
const podSpec = () => ({
  containers: [
    { name: 'app', image: 'app:1', args: ['--port', '80'], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], readinessProbe: { tcpSocket: { port: 80 } }, livenessProbe: {} },
    { name: 'side', image: 'side:1' },
  ],
  volumes: [{ name: 'data', emptyDir: {} }],
});
const deployment = (): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'ns', resourceVersion: '7', annotations: { keep: 'me' } },
  spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: podSpec() } },
});
const start = (kind: Parameters<typeof planDevStart>[0]['kind'], original: KubeObject, over: Partial<Parameters<typeof planDevStart>[0]> = {}) =>
  planDevStart({ kind, original, dev: dev({ env: [{ name: 'B', value: 'dev' }] }), owner, sidecarImage: 'sidecar:1', claims: [], ...over });

describe('planDevStart', () => {
  it('swaps the target container for the dev image, kept alive, without probes, with the source volume', () => {
    const plan = start('deployment', deployment());
    const spec = plan.devObject.spec;
    const app = spec.template.spec.containers[0];
    expect(plan.container).toBe('app');
    expect(app).toEqual({
      name: 'app',
      image: 'dev:1',
      command: KEEP_ALIVE,
      workingDir: '/src',
      env: [{ name: 'A', value: '1' }, { name: 'B', value: 'dev' }],
      volumeMounts: [{ name: SOURCE_VOLUME, mountPath: '/src' }],
    });
    expect(spec.template.spec.containers[1]).toEqual({ name: 'side', image: 'side:1' });
    expect(spec.template.spec.containers[2]).toMatchObject({ name: SIDECAR_NAME, image: 'sidecar:1', volumeMounts: [{ name: SOURCE_VOLUME, mountPath: '/nhd/src' }, { name: AGENT_VOLUME, mountPath: '/tmp/nhd-agent' }] });
    // Requests and limits, so that a namespace whose quota demands them admits the dev pod.
    expect(spec.template.spec.containers[2].resources).toEqual({ requests: { cpu: '100m', memory: '50Mi' }, limits: { cpu: '1', memory: '1Gi' } });
    expect(spec.template.spec.volumes).toEqual([{ name: 'data', emptyDir: {} }, { name: SOURCE_VOLUME, emptyDir: {} }, { name: AGENT_VOLUME, emptyDir: { sizeLimit: '16Mi' } }]);
    expect(spec.replicas).toBe(1);
    expect(spec.template.metadata.labels).toEqual({ app: 'web', [DEV_POD_LABEL]: 'true' });
  });

  it('confines the sync sidecar: read-only root, no privilege, only DAC_OVERRIDE and FOWNER, writable only in the source and the agent directory', () => {
    const original = deployment();
    // A pod-level context is the pod's; the sidecar's own fields are set on the container whatever it says.
    original.spec.template.spec.securityContext = { fsGroup: 2000 };
    const spec = start('deployment', original).devObject.spec.template.spec;
    expect(spec.containers[2]).toEqual({
      name: SIDECAR_NAME,
      image: 'sidecar:1',
      imagePullPolicy: 'IfNotPresent',
      command: KEEP_ALIVE,
      resources: { requests: { cpu: '100m', memory: '50Mi' }, limits: { cpu: '1', memory: '1Gi' } },
      securityContext: {
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'], add: ['DAC_OVERRIDE', 'FOWNER'] },
      },
      volumeMounts: [
        { name: SOURCE_VOLUME, mountPath: '/nhd/src' },
        { name: AGENT_VOLUME, mountPath: '/tmp/nhd-agent' },
      ],
    });
    expect(spec.securityContext).toEqual({ fsGroup: 2000 });
    for (const kind of ['statefulset', 'daemonset', 'job', 'cronjob', 'pod'] as const) {
      const template = kind === 'pod' ? { spec: podSpec() } : kind === 'cronjob' ? undefined : { metadata: {}, spec: podSpec() };
      const object: KubeObject =
        kind === 'pod'
          ? { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: podSpec() }
          : kind === 'cronjob'
            ? { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c', namespace: 'ns', uid: 'u' }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { metadata: {}, spec: podSpec() } } } } }
            : { apiVersion: 'x', kind: 'X', metadata: { name: 'w', namespace: 'ns' }, spec: { template } };
      const plan = start(kind, object);
      const devSpec = kind === 'pod' ? plan.devObject.spec : kind === 'cronjob' ? plan.devObject.spec.jobTemplate.spec.template.spec : plan.devObject.spec.template.spec;
      expect(devSpec.containers.find((c: { name: string }) => c.name === SIDECAR_NAME)).toEqual(spec.containers[2]);
    }
  });

  it("leaves the dev image's pull policy to Kubernetes unless the config sets one", () => {
    const original = deployment();
    original.spec.template.spec.containers[0].imagePullPolicy = 'Never';
    expect(start('deployment', original).devObject.spec.template.spec.containers[0]).not.toHaveProperty('imagePullPolicy');
    const always = start('deployment', original, { dev: dev({ imagePullPolicy: 'Always' }) });
    expect(always.devObject.spec.template.spec.containers[0].imagePullPolicy).toBe('Always');
  });

  it('runs a Deployment with the Recreate strategy in dev mode; the backup keeps the original one', () => {
    const original = deployment();
    original.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } };
    const plan = start('deployment', original);
    expect(plan.devObject.spec.strategy).toEqual({ type: 'Recreate' });
    expect((plan.backup.spec as { strategy?: unknown }).strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } });
  });

  it("gives the dev pod the service's priorityClass, dropping a priority resolved for another class", () => {
    const original = deployment();
    Object.assign(original.spec.template.spec, { priorityClassName: 'low', priority: 10 });
    const spec = start('deployment', original, { dev: { ...dev(), priorityClass: 'dev-high' } }).devObject.spec.template.spec;
    expect(spec.priorityClassName).toBe('dev-high');
    expect(spec).not.toHaveProperty('priority');
    expect(start('deployment', original).devObject.spec.template.spec).toMatchObject({ priorityClassName: 'low', priority: 10 });
  });

  it('leaves dev.patches to the API server for a workload edited in place, pausing a Deployment until they are applied', () => {
    const patches = [{ type: 'strategic' as const, patch: '{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"P","value":"1"}]}]}}}}' }];
    const plan = start('deployment', deployment(), { dev: dev({ patches }) });
    expect(plan.patches).toEqual([{ type: 'strategic', body: JSON.parse(patches[0]!.patch) }]);
    expect(plan.devObject.spec.paused).toBe(true);
    expect(start('deployment', deployment()).devObject.spec.paused).toBe(false);
    // A changed patch is a new plan: new dev pods.
    expect(plan.devHash).not.toBe(start('deployment', deployment()).devHash);
  });

  it('applies JSON and merge patches to a recreated kind before it is created, and refuses a strategic one', () => {
    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: podSpec() };
    const patches = [
      { type: 'merge' as const, patch: '{"metadata":{"labels":{"via":"merge"}}}' },
      { type: 'json' as const, patch: '[{"op":"replace","path":"/spec/containers/1/image","value":"side:2"}]' },
    ];
    const plan = start('pod', pod, { dev: dev({ patches }) });
    expect(plan.patches).toEqual([]);
    expect(plan.devObject.metadata.labels).toMatchObject({ via: 'merge' });
    expect(plan.devObject.spec.containers[1].image).toBe('side:2');
    expect(plan.devObject.spec.containers[0].image).toBe('dev:1');
    expect(() => start('pod', pod, { dev: dev({ patches: [{ type: 'strategic', patch: '{"spec":{}}' }] }) })).toThrow(
      /dev\.patches\[0\] is a strategic merge patch, which nhd cannot apply to a pod: .* Write it as type: merge or type: json\./,
    );
    expect(() => start('pod', pod, { dev: dev({ patches: [{ type: 'json', patch: '[{"op":"remove","path":"/spec/nope"}]' }] }) })).toThrow(/dev\.patches\[0\] \(type json\) does not apply to the dev pod/);
  });

  it('refuses patches that are not JSON or have the wrong shape, naming the entry', () => {
    expect(() => start('deployment', deployment(), { dev: dev({ patches: [{ type: 'merge', patch: '{"spec": [' }] }) })).toThrow(/dev\.patches\[0\] is not valid JSON or YAML/);
    expect(() => start('deployment', deployment(), { dev: dev({ patches: [{ type: 'json', patch: '{"op":"add"}' }] }) })).toThrow(/dev\.patches\[0\] \(type json\) has the wrong shape: a JSON patch is a list of operations/);
  });

  it('backs up the original spec and annotations, and marks the owner', () => {
    const original = deployment();
    const plan = start('deployment', original);
    const annotations = plan.devObject.metadata.annotations!;
    expect(JSON.parse(annotations[ANNOTATION.backup]!)).toEqual({ spec: original.spec, annotations: { keep: 'me' } });
    expect(JSON.parse(annotations[ANNOTATION.owner]!)).toEqual(owner);
    expect(annotations['keep']).toBe('me');
    expect(original.spec.template.spec.containers[0].image).toBe('app:1');
  });

  it('plans a second start from the backup, never from the dev spec', () => {
    const original = deployment();
    const once = start('deployment', original).devObject;
    const again = start('deployment', originalOf(once)).devObject;
    expect(again).toEqual(once);
  });

  it('develops the container asked for, and refuses an unknown one by listing the others', () => {
    expect(start('deployment', deployment(), { container: 'side' }).devObject.spec.template.spec.containers[1].image).toBe('dev:1');
    expect(() => start('deployment', deployment(), { container: 'nope' })).toThrow('deployment/web has no container "nope"; its containers are app, side.');
  });

  it('refuses to start without a dev image, saying where to set one', () => {
    expect(() => start('deployment', deployment(), { dev: dev({ image: '' }) })).toThrow(/No dev image for deployment\/web: set containers\[\]\.dev\.image/);
  });

  it('mounts a PVC per persistentVolumeDir', () => {
    const plan = start('deployment', deployment(), { claims: [{ path: '/cache', claimName: 'nhd-web-1' }] });
    const spec = plan.devObject.spec.template.spec;
    expect(spec.volumes.at(-1)).toEqual({ name: 'nhd-pv-0', persistentVolumeClaim: { claimName: 'nhd-web-1' } });
    expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'nhd-pv-0', mountPath: '/cache' });
  });

  it('edits a bare Pod itself: the dev spec, the dev label, no node binding', () => {
    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u', resourceVersion: '3', labels: { app: 'p' } }, spec: { ...podSpec(), nodeName: 'n1' }, status: { phase: 'Running' } };
    const plan = start('pod', pod);
    expect(plan.devObject.spec.containers.map((c: { name: string }) => c.name)).toEqual(['app', 'side', SIDECAR_NAME]);
    expect(plan.devObject.spec.nodeName).toBeUndefined();
    expect(plan.devObject.metadata).toEqual({ name: 'p', namespace: 'ns', labels: { app: 'p', [DEV_POD_LABEL]: 'true' }, annotations: expect.objectContaining({ [ANNOTATION.owner]: JSON.stringify(owner) }) });
    expect(plan.devObject.status).toBeUndefined();
  });

  it('suspends a CronJob and runs its dev template as a Job it owns', () => {
    const cron: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'c', namespace: 'ns', uid: 'cu' },
      spec: { schedule: '* * * * *', jobTemplate: { metadata: { labels: { j: '1' } }, spec: { activeDeadlineSeconds: 60, template: { spec: podSpec() } } } },
    };
    const plan = start('cronjob', cron);
    expect(plan.devObject.spec.suspend).toBe(true);
    expect(plan.runner).toMatchObject({ kind: 'Job', metadata: { name: 'c-nhd-dev', labels: { j: '1' }, ownerReferences: [{ kind: 'CronJob', uid: 'cu' }] }, spec: { parallelism: 1, completions: 1 } });
    expect(plan.runner!.spec.activeDeadlineSeconds).toBeUndefined();
    expect(plan.runner!.spec.template.spec.containers[0].image).toBe('dev:1');
  });

  it('runs no DaemonSet pod on any node, and one dev pod in a Deployment it owns', () => {
    const ds: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'd', namespace: 'ns', uid: 'du', labels: { tier: 'node' } },
      spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { ...podSpec(), nodeSelector: { 'kubernetes.io/os': 'linux' } } } },
    };
    const plan = start('daemonset', ds);
    expect(plan.devObject.spec.template.spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', ...NO_NODE_SELECTOR });
    const runner = plan.runner!;
    expect(runner).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd-nhd-dev', namespace: 'ns', labels: { tier: 'node', [RUNNER_LABEL]: 'true' }, ownerReferences: [{ kind: 'DaemonSet', name: 'd', uid: 'du', controller: false }] },
      spec: { replicas: 1, strategy: { type: 'Recreate' }, selector: { matchLabels: { app: 'd', [DEV_POD_LABEL]: 'true' } } },
    });
    // The runner's pods are the dev pods: the dev template, on any node the original could use.
    expect(runner.spec.template.metadata).toEqual(plan.devObject.spec.template.metadata);
    expect(runner.spec.template.spec).toEqual({ ...plan.devObject.spec.template.spec, nodeSelector: { 'kubernetes.io/os': 'linux' } });
    expect(runner.spec.template.spec.containers[0].image).toBe('dev:1');
  });
});

describe('planDevEnd', () => {
  it('gives back the original spec and annotations, with the current resourceVersion', () => {
    const original = deployment();
    const inDev = { ...start('deployment', original).devObject, metadata: { ...start('deployment', original).devObject.metadata, resourceVersion: '9' } };
    const restored = planDevEnd('deployment', inDev, undefined)!;
    expect(restored.spec).toEqual(original.spec);
    expect(restored.metadata.annotations).toEqual({ keep: 'me' });
    expect(restored.metadata.resourceVersion).toBe('9');
  });

  it('is undefined for a workload that is not in dev mode', () => {
    expect(planDevEnd('deployment', deployment(), undefined)).toBeUndefined();
    expect(planDevEnd('pod', undefined, undefined)).toBeUndefined();
  });

  it('recreates a Job without what its controller generated', () => {
    const job: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j', uid: 'x', resourceVersion: '1', labels: { 'batch.kubernetes.io/job-name': 'j', team: 'a' } },
      spec: { selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'x' } }, template: { metadata: { labels: { 'batch.kubernetes.io/controller-uid': 'x', 'controller-uid': 'x', 'job-name': 'j', app: 'j' } }, spec: podSpec() } },
      status: { active: 1 },
    };
    expect(freshCopy('job', job)).toEqual({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', labels: { team: 'a' } }, spec: { template: { metadata: { labels: { app: 'j' } }, spec: podSpec() } } });
  });
});

describe('assessDevPod', () => {
  const pod = (status: object, spec = { containers: [{ name: 'app' }, { name: 'nhd-sync' }] }): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec, status });
  const scheduled = { conditions: [{ type: 'PodScheduled', status: 'True' }] };
  it.each([
    [{}, 'progress scheduling: pod p: waiting for a node'],
    [{ conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available' }] }, 'progress scheduling: pod p: Unschedulable: 0/1 nodes are available'],
    [{ ...scheduled, containerStatuses: [{ name: 'app', state: { waiting: { reason: 'ContainerCreating' } } }] }, 'progress pulling: pod p: pulling images and creating containers'],
    [{ ...scheduled, containerStatuses: [{ name: 'app', state: { waiting: { reason: 'ErrImagePull', message: 'not found' } } }, { name: 'nhd-sync', state: { running: {} } }] }, 'failed: container app of pod p: ErrImagePull: not found'],
    [{ ...scheduled, containerStatuses: [{ name: 'app', restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 3, reason: 'Error' } } }, { name: 'nhd-sync', state: { running: {} } }] }, 'failed: container app of pod p exited with code 3 (Error)'],
    [{ ...scheduled, containerStatuses: [{ name: 'app', ready: true, state: { running: {} } }, { name: 'nhd-sync', ready: true, state: { running: {} } }] }, 'ready'],
    [{ phase: 'Failed', reason: 'Evicted', message: 'low on memory' }, 'failed: pod p failed: Evicted: low on memory'],
  ])('%j → %s', (status, expected) => {
    const a = assessDevPod(pod(status));
    const text = a.state === 'ready' ? 'ready' : a.state === 'failed' ? `failed: ${a.message}` : `progress ${a.step}: ${a.message}`;
    expect(text).toBe(expected);
  });
});
