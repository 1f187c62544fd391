import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevEndRequest, DevStartRequest, type DevStartParams, type WorkloadKind } from '../../protocol';
import { backupConfigMapName, runnerName } from '../../server/devMode/annotations';
import { connectSocketClient, startSocketDaemon, tempHome, until, type TestClient } from '../harness/daemon';
import { DEV_IMAGE, apply, createNamespace, kubectl, kubectlJson, nhdCli, specOf, waitPodReady, waitRollout } from './support';
import { DEPLOYMENT_HPA, MANIFESTS, NAMES, comparable } from './workloads';

/**
 * Dev mode survives a crash at every step (issue 14, item 8). NHD_TEST_FAULT (test only,
 * adapters/kube/faultInjection.ts) makes a daemon SIGKILL itself right after its Nth cluster write
 * (N = 0: before the first). For every kind, dev start runs in a fresh daemon killed after write
 * 0, 1, 2, ... until a run completes without being killed; after each kill `nhd dev end` in a
 * normal daemon must restore the workload exactly. Then the same for dev end: dev start fully, dev
 * end killed after write N, and a second dev end restores. The writes are counted, not named, so
 * every write of both is a kill point whatever the steps become: the PVC of persistentVolumeDirs
 * and the HPA hold (on the Deployment), the backup ConfigMap, the gap between delete and create of
 * a Job or Pod, the CronJob's dev Job, and deleting the backup.
 */
const ns = createNamespace('nhd-faults');
const KUBECONFIG = process.env['KUBECONFIG']!;
const clis: ReturnType<typeof nhdCli>[] = [];
const spawned: Awaited<ReturnType<typeof startSocketDaemon>>[] = [];
afterAll(async () => {
  for (const cli of clis) cli.stop();
  await Promise.all(spawned.map(stopDaemon));
  ns.dispose();
});

/** Stops a daemon unless it is gone already (a SIGKILLed one has no exit code, only a signal). */
async function stopDaemon(daemon: Awaited<ReturnType<typeof startSocketDaemon>>): Promise<void> {
  if (daemon.process.exitCode === null && daemon.process.signalCode === null) await daemon.stop();
}

/**
 * The fewest writes each kind's dev start and dev end make, so that the loop cannot silently
 * cover nothing: start for a Deployment = PVC, HPA hold, backup and lock, dev spec; a StatefulSet
 * also deletes its old pod (when its controller has not yet); a Job or Pod = backup ConfigMap,
 * delete, create; a CronJob = backup, dev spec, dev Job. End: restore (+ HPA release, + the
 * StatefulSet's dev pod, + the CronJob's dev Job; a Job or Pod: delete, create, delete the backup).
 */
const MIN_WRITES: Record<string, { start: number; end: number }> = {
  deployment: { start: 4, end: 2 },
  statefulset: { start: 2, end: 1 },
  daemonset: { start: 2, end: 1 },
  job: { start: 3, end: 3 },
  cronjob: { start: 3, end: 2 },
  pod: { start: 3, end: 3 },
};
/** No kind comes near this many writes; reaching it means the loop would not end. */
const MAX_RUNS = 25;

/** The Deployment's dev config: a persistentVolumeDir, so that dev start creates a PVC. */
const DEPLOYMENT_DIR = tempHome();
fs.mkdirSync(path.join(DEPLOYMENT_DIR, '.nocalhost'));
fs.writeFileSync(
  path.join(DEPLOYMENT_DIR, '.nocalhost', 'config.yaml'),
  `name: dep\nserviceType: deployment\ncontainers:\n  - name: app\n    dev:\n      image: ${DEV_IMAGE}\n      workDir: /src\n      persistentVolumeDirs:\n        - path: /cache\n          capacity: 1Gi\n`,
);
fs.writeFileSync(path.join(DEPLOYMENT_DIR, 'main.py'), 'print("synced")\n');

beforeAll(() => {
  for (const manifest of Object.values(MANIFESTS)) apply(ns.name, manifest);
  apply(ns.name, DEPLOYMENT_HPA);
  waitRollout(ns.name, 'deployment', 'dep');
  waitRollout(ns.name, 'statefulset', 'sts');
  waitRollout(ns.name, 'daemonset', 'ds');
  waitPodReady(ns.name, 'app=job');
  waitPodReady(ns.name, 'app=pod');
});

/** NHD_TEST_FAULT for run N: before the first write, else right after write N. */
const faultOf = (n: number) => (n === 0 ? 'write:1:before' : `write:${n}:after`);

interface FaultRun {
  fault: string;
  /** The daemon died of its own SIGKILL. */
  killed: boolean;
  /** What its log says it wrote (`write N: create ConfigMap ns/x`), in order. */
  writes: string[];
  /** It logged the kill just before dying. */
  killLogged: boolean;
}

/** A daemon that kills itself at `fault`, with its own NHD_HOME (and log). */
async function faultDaemon(identity: string, fault: string) {
  const home = tempHome();
  const daemon = await startSocketDaemon(home, [], { NHD_IDENTITY: identity, KUBECONFIG, NHD_TEST_FAULT: fault });
  spawned.push(daemon);
  return { home, daemon, fault };
}
type FaultDaemon = Awaited<ReturnType<typeof faultDaemon>>;

/** Sends one request to a fault daemon: it answers, or the daemon dies. */
async function runWithFault(target: FaultDaemon, request: (client: TestClient) => Promise<unknown>): Promise<FaultRun> {
  const { daemon, home, fault } = target;
  const died = new Promise<NodeJS.Signals | null>((resolve) => {
    if (daemon.process.exitCode !== null || daemon.process.signalCode !== null) resolve(daemon.process.signalCode);
    else daemon.process.once('exit', (_code, signal) => resolve(signal));
  });
  const client = await connectSocketClient(daemon.socketPath);
  const outcome = await Promise.race([
    request(client).then(
      () => ({ answered: true as const, error: undefined }),
      (error: Error) => ({ answered: true as const, error }),
    ),
    died.then((signal) => ({ answered: false as const, signal })),
  ]);
  // A closed connection does not fail pending requests in vscode-jsonrpc; disposing it does.
  client.dispose();
  if (outcome.answered) {
    await stopDaemon(daemon);
    if (outcome.error) throw new Error(`${fault}: the request failed without a kill: ${outcome.error.message}`);
  }
  const entries = fs
    .readFileSync(path.join(home, 'logs', 'daemon.log'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { tag: string; message: string });
  return {
    fault,
    killed: !outcome.answered && outcome.signal === 'SIGKILL',
    writes: entries.filter((e) => e.tag === 'kube' && /^write \d+: /.test(e.message)).map((e) => e.message),
    killLogged: entries.some((e) => e.message.startsWith('NHD_TEST_FAULT: killing the daemon')),
  };
}

/** The workload is as it was before dev start: `.spec`, no nhd annotations, nothing of dev mode left around it. */
async function expectRestored(kind: string, name: string, before: unknown, what: string): Promise<void> {
  // Controllers may still be converging (an HPA held at one replica by a killed start scales the
  // Deployment down until it is released): the spec must come back, and then be exact.
  const same = () => {
    try {
      return JSON.stringify(comparable(kind, specOf(ns.name, kind, name))) === JSON.stringify(comparable(kind, before));
    } catch {
      return false;
    }
  };
  await until(same, `${what}: the original spec of ${kind}/${name} is back`, 60_000);
  expect(comparable(kind, specOf(ns.name, kind, name)), what).toEqual(comparable(kind, before));
  const annotations = kubectlJson(['get', kind, name, '-n', ns.name]).metadata.annotations ?? {};
  expect(Object.keys(annotations).filter((k) => k.startsWith('nhd.dev/')), what).toEqual([]);
  expect(kubectl(['get', 'configmaps', '-n', ns.name, '-o', 'name']).split('\n'), what).not.toContain(`configmap/${backupConfigMapName(kind, name)}`);
  if (kind === 'deployment') {
    const hpa = kubectlJson(['get', 'hpa', 'dep', '-n', ns.name]);
    expect(hpa.spec, what).toMatchObject({ minReplicas: 2, maxReplicas: 4 });
    expect(hpa.metadata.annotations?.['nhd.dev/hpa-backup'], what).toBeUndefined();
  }
  // A CronJob's dev Job, a DaemonSet's dev Deployment.
  const runner = ({ cronjob: 'jobs', daemonset: 'deployments' } as Record<string, string>)[kind];
  if (runner) {
    await until(() => !kubectl(['get', runner, '-n', ns.name, '-o', 'name']).split('\n').some((line) => line.endsWith(`/${runnerName(name)}`)), `${what}: the runner is gone`, 30_000);
  }
}

/** Back to the first run's state: the Deployment's PVC is kept by dev end, and its creation is a write to cover. */
function resetClaims(kind: string, name: string): void {
  if (kind === 'deployment') kubectl(['delete', 'pvc', '-n', ns.name, '-l', `nhd.dev/workload=${kind}.${name}`, '--wait=true', '--timeout=120s']);
}

/**
 * Runs `attempt` against fault daemons killed after write 0, 1, 2, ... until one is not killed;
 * the next daemon is started while the current run is checked.
 */
async function everyWrite(identity: string, attempt: (target: FaultDaemon) => Promise<FaultRun>): Promise<FaultRun[]> {
  const runs: FaultRun[] = [];
  let next = faultDaemon(identity, faultOf(0));
  for (let n = 0; n < MAX_RUNS; n++) {
    const target = await next;
    next = faultDaemon(identity, faultOf(n + 1));
    const run = await attempt(target);
    runs.push(run);
    if (!run.killed) break;
  }
  await stopDaemon((await next).daemon);
  return runs;
}

/** Every run but the last was killed where it was told to; the last completed, after at least `min` writes. */
function expectCovered(runs: FaultRun[], min: number, what: string): void {
  const last = runs.at(-1)!;
  expect(last.killed, `${what}: a run completed within ${MAX_RUNS} runs`).toBe(false);
  expect(last.writes.length, `${what}: the writes of the run that completed: ${last.writes.join('; ')}`).toBeGreaterThanOrEqual(min);
  runs.slice(0, -1).forEach((run, n) => {
    expect({ fault: run.fault, killed: run.killed, killLogged: run.killLogged, writes: run.writes.length }, what).toEqual({ fault: faultOf(n), killed: true, killLogged: true, writes: Math.max(n, 1) });
  });
  process.stdout.write(`[faults] ${what}: ${runs.length - 1} kill points; writes: ${last.writes.map((w) => w.replace(/^write \d+: /, '')).join(', ')}\n`);
}

describe.concurrent('a daemon killed right after each cluster write', () => {
  it.each(Object.keys(MANIFESTS))('of dev start and of dev end of a %s leaves a workload dev end restores exactly', async (kind) => {
    const name = NAMES[kind]!;
    const identity = `faults-${kind}@e2e`;
    const cli = nhdCli(identity);
    clis.push(cli);
    const localDir = kind === 'deployment' ? DEPLOYMENT_DIR : tempHome();
    const ref = `${kind}/${name}`;
    const before = specOf(ns.name, kind, name);
    const startParams: DevStartParams = { kind: kind as WorkloadKind, name, namespace: ns.name, image: DEV_IMAGE, localDir, timeoutSeconds: 150 };

    const devEnd = async (what: string) => {
      const end = await cli.run(['dev', 'end', ref, '-n', ns.name]);
      expect(end.stderr, what).not.toMatch(/^nhd: /m);
      expect(end.code, what).toBe(0);
    };

    const startRuns = await everyWrite(identity, async (target) => {
      const run = await runWithFault(target, (client) => client.connection.sendRequest(DevStartRequest.type, startParams));
      const what = `dev start of ${ref} ${run.killed ? `killed at ${run.fault}` : `not killed (${run.fault})`}`;
      await devEnd(what);
      await expectRestored(kind, name, before, what);
      resetClaims(kind, name);
      return run;
    });
    expectCovered(startRuns, MIN_WRITES[kind]!.start, `dev start of ${ref}`);

    const endRuns = await everyWrite(identity, async (target) => {
      const start = await cli.run(['dev', 'start', ref, '-n', ns.name, '--image', DEV_IMAGE, '--local-dir', localDir, '--timeout', '150']);
      expect(start.stderr, `dev start of ${ref} before ${target.fault}`).not.toMatch(/^nhd: /m);
      expect(start.code).toBe(0);
      const run = await runWithFault(target, (client) => client.connection.sendRequest(DevEndRequest.type, { kind: kind as WorkloadKind, name, namespace: ns.name }));
      const what = `dev end of ${ref} ${run.killed ? `killed at ${run.fault}, then dev end again` : `not killed (${run.fault})`}`;
      if (run.killed) await devEnd(what);
      await expectRestored(kind, name, before, what);
      return run;
    });
    expectCovered(endRuns, MIN_WRITES[kind]!.end, `dev end of ${ref}`);
  });
});
