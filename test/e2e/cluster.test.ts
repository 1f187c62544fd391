import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The local cluster itself (test/cluster), with the sample app test/fixtures/bookinfo-lite:
 * install, wait for Available, productpage through `kubectl port-forward` shows authors' and
 * details' answers, `kubectl exec` (also service discovery from inside a pod), `kubectl logs`.
 * These are exactly the apiserver → kubelet paths nhd relies on.
 */

const repoRoot = path.resolve(import.meta.dirname, '../..');
const manifests = path.join(repoRoot, 'test/fixtures/bookinfo-lite/manifests');
const ns = `nhd-bookinfo-${Date.now().toString(36)}`;

function kubectl(args: string[], timeoutMs = 120_000): string {
  const r = spawnSync('kubectl', args, { encoding: 'utf8', env: process.env, timeout: timeoutMs });
  if (r.status !== 0) {
    throw new Error(`kubectl ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  }
  return r.stdout;
}

/** `kubectl port-forward` on a free local port; resolves with that port once it forwards. */
function portForward(target: string, remotePort: number): Promise<{ port: number; proc: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const proc = spawn('kubectl', ['port-forward', '-n', ns, '--address', '127.0.0.1', target, `0:${remotePort}`], {
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => {
      proc.kill();
      reject(new Error(`port-forward to ${target} did not start: ${out}`));
    }, 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), proc });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`port-forward exited with ${code}: ${out}`));
    });
  });
}

function curl(url: string): string {
  const r = spawnSync('curl', ['-fsS', '--max-time', '10', url], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`curl ${url} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

describe('local cluster with bookinfo-lite', () => {
  beforeAll(() => {
    kubectl(['create', 'namespace', ns]);
    const started = Date.now();
    kubectl(['apply', '--server-side', '-n', ns, '-f', manifests]);
    kubectl(['wait', '--for=condition=Available', 'deployment', '--all', '-n', ns, '--timeout=180s'], 200_000);
    kubectl(['rollout', 'status', 'statefulset/details-sts', '-n', ns, '--timeout=180s'], 200_000);
    process.stderr.write(`[e2e] bookinfo-lite installed and Available in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  });

  afterAll(() => {
    spawnSync('kubectl', ['delete', 'namespace', ns, '--wait=false'], { env: process.env });
  });

  it('has a Ready node running Kubernetes 1.34', () => {
    const node = JSON.parse(kubectl(['get', 'nodes', '-o', 'json'])).items[0];
    const ready = node.status.conditions.find((c: { type: string }) => c.type === 'Ready');
    expect(ready.status).toBe('True');
    expect(node.status.nodeInfo.kubeletVersion).toMatch(/^v1\.34\./);
  });

  it('serves productpage with the answers of authors and details through kubectl port-forward', async () => {
    const { port, proc } = await portForward('svc/productpage', 9080);
    try {
      // Right after the rollout, kube-proxy may not yet have the new endpoints in iptables: poll.
      let page = '';
      for (let i = 0; i < 60; i++) {
        page = curl(`http://127.0.0.1:${port}/`);
        if (page.includes('William Shakespeare') && page.includes('pages: 200')) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(page).toContain('Author: William Shakespeare');
      expect(page).toContain('pages: 200');
      expect(page).toContain('Served by productpage');
    } finally {
      proc.kill();
    }
  });

  it('runs commands in a pod with kubectl exec, and pods find services by DNS name', () => {
    const hostname = kubectl(['exec', '-n', ns, 'deploy/productpage', '--', 'hostname']).trim();
    expect(hostname).toMatch(/^productpage-/);
    // From inside the cluster: DNS (CoreDNS), the Service's ClusterIP (kube-proxy) and the pod.
    const fromPod = kubectl(['exec', '-n', ns, 'deploy/productpage', '--', 'curl', '-fsS', '--max-time', '5', 'http://authors:9080/']);
    expect(JSON.parse(fromPod).author).toBe('William Shakespeare');
    const fqdn = kubectl(['exec', '-n', ns, 'deploy/details', '--', 'python3', '-c',
      `import socket; print(socket.gethostbyname('details-sts-0.details-sts.${ns}.svc.cluster.local'))`]).trim();
    expect(fqdn).toMatch(/^10\.88\./);
    // The service environment variables Kubernetes injects are there too.
    const env = kubectl(['exec', '-n', ns, 'deploy/productpage', '--', 'printenv', 'KUBERNETES_SERVICE_HOST']).trim();
    expect(env).toBe('10.96.0.1');
  });

  it('serves the StatefulSet variant of details', () => {
    const out = kubectl(['exec', '-n', ns, 'details-sts-0', '-c', 'details', '--', 'curl', '-fsS', '--max-time', '5', 'http://127.0.0.1:9080/']);
    expect(JSON.parse(out)).toMatchObject({ service: 'details', pages: 200 });
  });

  it('reads container logs with kubectl logs', async () => {
    const { port, proc } = await portForward('deploy/productpage', 9080);
    try {
      curl(`http://127.0.0.1:${port}/?from=logs-test`);
    } finally {
      proc.kill();
    }
    let logs = '';
    for (let i = 0; i < 50 && !logs.includes('from=logs-test'); i++) {
      logs = kubectl(['logs', '-n', ns, 'deploy/productpage']);
      if (!logs.includes('from=logs-test')) await new Promise((r) => setTimeout(r, 200));
    }
    expect(logs).toContain('productpage listening on :9080');
    expect(logs).toContain('GET /?from=logs-test');
    const authorsLogs = kubectl(['logs', '-n', ns, 'deploy/authors']);
    expect(authorsLogs).toContain('authors listening on :9080');
  });
});
