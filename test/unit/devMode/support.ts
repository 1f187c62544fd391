import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DevSession, SyncStatus, WorkloadKind } from '../../../protocol';
import { DevModeService, type DevModeDeps } from '../../../server/devMode/devModeService';
import { KINDS } from '../../../server/devMode/kinds';
import type { Progress } from '../../../server/rpc/progress';
import type { KubeObject, LogLevel } from '../../../server/ports';
import type { SyncStartParams } from '../../../server/sync/syncService';
import { FakeCluster } from '../../fakes/fakeCluster';

/** Shared by the DevModeService tests: the six workloads, a recorded progress and a service on a FakeCluster. */

export const NS = 'dev';
export const ALICE = 'alice@laptop';
export const BOB = 'bob@desk';
export const DEV_IMAGE = 'dev:v1';

const container = { name: 'app', image: 'app:v1', command: ['sh', '-c', 'serve'], readinessProbe: { tcpSocket: { port: 9080 } } };
const podSpec = { terminationGracePeriodSeconds: 1, containers: [container] };
const template = (app: string) => ({ metadata: { labels: { app } }, spec: podSpec });

/** One workload of each kind, `name` = its kind's short name, with one container `app`. */
export function workload(kind: WorkloadKind, name = kind): KubeObject {
  const { apiVersion, kind: Kind } = KINDS[kind].type;
  const metadata = { name, namespace: NS, annotations: { team: 'core' } };
  switch (kind) {
    case 'deployment':
      return { apiVersion, kind: Kind, metadata, spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: template(name) } };
    case 'statefulset':
      return { apiVersion, kind: Kind, metadata, spec: { serviceName: name, replicas: 1, selector: { matchLabels: { app: name } }, template: template(name) } };
    case 'daemonset':
      return { apiVersion, kind: Kind, metadata, spec: { selector: { matchLabels: { app: name } }, template: template(name) } };
    case 'job':
      return { apiVersion, kind: Kind, metadata, spec: { backoffLimit: 0, activeDeadlineSeconds: 600, template: { ...template(name), spec: { ...podSpec, restartPolicy: 'Never' } } } };
    case 'cronjob':
      return { apiVersion, kind: Kind, metadata, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { ...template(name), spec: { ...podSpec, restartPolicy: 'Never' } } } } } };
    case 'pod':
      return { apiVersion, kind: Kind, metadata: { ...metadata, labels: { app: name } }, spec: podSpec };
  }
}

export interface ProgressEvent {
  kind: 'begin' | 'report' | 'done';
  message?: string;
  percentage?: number;
}

export class RecordingProgress implements Progress {
  readonly events: ProgressEvent[] = [];
  begin(_title: string, message?: string, percentage?: number): void {
    this.events.push({ kind: 'begin', ...(message !== undefined ? { message } : {}), ...(percentage !== undefined ? { percentage } : {}) });
  }
  report(message: string, percentage?: number): void {
    this.events.push({ kind: 'report', message, ...(percentage !== undefined ? { percentage } : {}) });
  }
  done(message?: string): void {
    this.events.push({ kind: 'done', ...(message !== undefined ? { message } : {}) });
  }
  percentages(): number[] {
    return this.events.flatMap((e) => (e.percentage !== undefined ? [e.percentage] : []));
  }
  messages(): string[] {
    return this.events.flatMap((e) => (e.message !== undefined ? [e.message] : []));
  }
}

export interface Harness {
  cluster: FakeCluster;
  service: DevModeService;
  changes: DevSession[];
  /** Names of the steps each operation ran, from the service's debug log. */
  steps: string[];
  forwards: { started: string[][]; stopped: number };
  syncs: { started: number; stopped: string[] };
  scope: ReturnType<FakeCluster['scope']>;
}

/** A DevModeService for `identity` on `cluster`; `deps` overrides (sync, portForwards, env). */
export function harness(cluster = new FakeCluster(), identity = ALICE, deps: Partial<DevModeDeps> = {}): Harness {
  const changes: DevSession[] = [];
  const steps: string[] = [];
  const forwards = { started: [] as string[][], stopped: 0 };
  const syncs = { started: 0, stopped: [] as string[] };
  const service = new DevModeService({
    log: {
      log(_level: LogLevel, _tag, message) {
        const step = /^dev (start|end): (.*)$/.exec(message);
        if (step) steps.push(`${step[1]}: ${step[2]}`);
      },
    },
    identity,
    sessionId: `${identity}-session`,
    now: () => Date.parse('2025-01-01T12:00:00Z'),
    env: {},
    portForwards: {
      async startFromConfig(_scope, _ref, pairs) {
        forwards.started.push(pairs);
      },
      stopFor() {
        forwards.stopped++;
      },
    },
    sync: {
      async start(params) {
        syncs.started++;
        return syncStatus(params);
      },
      async stop(id) {
        syncs.stopped.push(id);
      },
    },
    onSessionChange: (session) => changes.push(session),
    ...deps,
  });
  return { cluster, service, changes, steps, forwards, syncs, scope: cluster.scope(NS) };
}

/** A sync session that started and watches. */
export function syncStatus(params: SyncStartParams, warnings: string[] = []): SyncStatus {
  const { sessionId, localDir, remoteDir, pod } = params;
  return { sessionId, localDir, remoteDir, pod, type: 'send', state: 'watching', totals: { batches: 0, files: 0, bytes: 0 }, held: [], conflicts: [], reconnects: 0, warnings };
}

export const never = new AbortController().signal;

/** `.spec` of the stored workload. */
export function specOf(cluster: FakeCluster, kind: WorkloadKind, name: string = kind): unknown {
  return cluster.object(KINDS[kind].type, NS, name)?.spec;
}

export function isStrictlyIncreasing(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v > values[i - 1]!);
}

/** A temporary source directory whose `.nocalhost/config.yaml` is `config`. */
export function projectWithConfig(config: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nhd-devmode-'));
  fs.mkdirSync(path.join(dir, '.nocalhost'));
  fs.writeFileSync(path.join(dir, '.nocalhost', 'config.yaml'), config);
  return dir;
}
