import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * vitest globalSetup of the e2e project: makes sure the local Kubernetes cluster (test/cluster) is
 * up, starting it when `cluster.sh status` says it is not, and exports its KUBECONFIG to the tests.
 * When the cluster cannot start, it fails loudly with the tail of the log: e2e tests never skip
 * silently for want of a cluster. Stopping the cluster is left to the caller (`npm run cluster:down`,
 * .ci/run's cleanup), so that several test runs can share one warm cluster.
 */

const repoRoot = path.resolve(import.meta.dirname, '../..');
const clusterScript = path.join(repoRoot, 'test/cluster/cluster.sh');
const clusterDir = process.env['NHD_CLUSTER_DIR'] || path.join(os.homedir(), '.cache/nhd-cluster');

function clusterStatus(): { up: boolean; output: string } {
  const r = spawnSync('bash', [clusterScript, 'status'], { encoding: 'utf8', timeout: 30_000 });
  return { up: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

export default function setup(): void {
  const status = clusterStatus();
  if (!status.up) {
    const started = Date.now();
    process.stderr.write('[e2e] local cluster is not up; starting it with test/cluster/cluster.sh up ...\n');
    // Output goes to a log file, not to pipes: the cluster's daemons outlive this process.
    // Not in logs/: `up` clears that directory when it starts.
    const logFile = path.join(clusterDir, 'e2e-cluster-up.log');
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    const fd = fs.openSync(logFile, 'w');
    const r = spawnSync('bash', [clusterScript, 'up'], { stdio: ['ignore', fd, fd], timeout: 40 * 60_000 });
    fs.closeSync(fd);
    const log = fs.readFileSync(logFile, 'utf8');
    if (r.status !== 0) {
      throw new Error(
        `The e2e suite needs the local Kubernetes cluster, and it did not start ` +
          `(cluster.sh up exited with ${r.status ?? r.signal}${r.error ? `: ${r.error.message}` : ''}).\n` +
          `Last lines of ${logFile}:\n${tail(log, 40)}\n` +
          `Component logs: ${path.join(clusterDir, 'logs')}. Try: npm run cluster:up`,
      );
    }
    process.stderr.write(`[e2e] local cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  const kubeconfig = path.join(clusterDir, 'kubeconfig');
  if (!fs.existsSync(kubeconfig)) {
    throw new Error(`The local cluster reports up but has no kubeconfig at ${kubeconfig}:\n${clusterStatus().output}`);
  }
  process.env['KUBECONFIG'] = kubeconfig;
  process.env['NHD_CLUSTER_DIR'] = clusterDir;
}
