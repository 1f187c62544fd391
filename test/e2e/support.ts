import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NHD, nhdEnv, runCli, tempHome } from '../harness/daemon';

/**
 * Helpers for tests on the real local cluster. globalSetup.ts has started it and put its
 * kubeconfig in KUBECONFIG; kubectl is used to arrange and inspect, nhd is what is tested.
 */
export function kubectl(args: string[], input?: string): string {
  const result = spawnSync('kubectl', args, { input, encoding: 'utf8', env: process.env });
  if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
}

export function kubectlJson<T = any>(args: string[]): T {
  return JSON.parse(kubectl([...args, '-o', 'json'])) as T;
}

/** A fresh namespace for one test file; `dispose` deletes it without waiting. */
export function createNamespace(prefix: string): { name: string; dispose(): void } {
  const name = `${prefix}-${Date.now().toString(36)}`.slice(0, 63);
  kubectl(['create', 'namespace', name]);
  return { name, dispose: () => void spawnSync('kubectl', ['delete', 'namespace', name, '--wait=false'], { env: process.env }) };
}

export function apply(namespace: string, manifest: string): void {
  kubectl(['apply', '-n', namespace, '-f', '-'], manifest);
}

/** How applyDeployment's pods differ from its defaults. */
export interface DeploymentOptions {
  /**
   * The pods' terminationGracePeriodSeconds (default 1): 0 where a test deletes pods or ends dev
   * mode and waits for the next pod, so that the old one goes at once.
   */
  terminationGracePeriodSeconds?: number;
  /** false: mount no service-account token (the pods never call the API; default: the cluster's default). */
  automountServiceAccountToken?: boolean;
}

/**
 * A one-replica Deployment `name` (pods labelled app=NAME, quick to terminate) with these containers, each a
 * YAML flow map (`{name: app, image: ..., command: [...]}`), applied and rolled out.
 */
export function applyDeployment(namespace: string, name: string, containers: string[], options: DeploymentOptions = {}): void {
  const { terminationGracePeriodSeconds = 1, automountServiceAccountToken } = options;
  const token = automountServiceAccountToken === undefined ? '' : `\n      automountServiceAccountToken: ${automountServiceAccountToken}`;
  apply(
    namespace,
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: ${terminationGracePeriodSeconds}${token}
      containers:
${containers.map((c) => `        - ${c}`).join('\n')}
`,
  );
  waitRollout(namespace, 'deployment', name);
}

/** The JSON-RPC error a request failed with; throws when it succeeded. */
export async function errorOf(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: number; message: string };
  }
  throw new Error('expected the request to fail');
}

/** `.spec` of an object, as the API returns it now. */
export function specOf(namespace: string, kind: string, name: string): unknown {
  return kubectlJson(['get', kind, name, '-n', namespace]).spec;
}

/** An nhd CLI bound to its own daemon (NHD_HOME) and identity. */
export function nhdCli(identity = 'e2e@nhd-test') {
  const home = tempHome();
  const env = nhdEnv(home, { NHD_IDENTITY: identity, KUBECONFIG: process.env['KUBECONFIG'] ?? '' });
  return {
    home,
    env,
    run: (args: string[], cwd?: string) => runCli(args, env, cwd),
    /** Stops this CLI's daemon, if one runs. */
    stop: () => {
      // No socket: this CLI never started a daemon.
      if (!fs.existsSync(path.join(home, 'nhd.sock'))) return;
      try {
        const out = execFileSync(process.execPath, [NHD, 'status', '--json'], { env, encoding: 'utf8' });
        process.kill(JSON.parse(out).pid, 'SIGTERM');
      } catch {
        // No daemon.
      }
    },
  };
}

/** Waits for a rollout, so that tests start from a settled workload. */
export function waitRollout(namespace: string, kind: string, name: string, timeout = '120s'): void {
  kubectl(['rollout', 'status', `${kind}/${name}`, '-n', namespace, `--timeout=${timeout}`]);
}

export function waitPodReady(namespace: string, selector: string, timeout = '120s'): void {
  kubectl(['wait', '--for=condition=Ready', 'pod', '-l', selector, '-n', namespace, `--timeout=${timeout}`]);
}

/** The image every test workload runs: a Debian image with python3, imported in the local cluster. */
export const APP_IMAGE = 'docker.io/nhd/dev-python:v1';
/** A dev image for tests (another of the local images). */
export const DEV_IMAGE = 'docker.io/nhd/dev-node:v1';
