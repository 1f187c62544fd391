import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevStartRequest, SyncResyncRequest, SyncStatusRequest, type SyncStatus } from '../../protocol';
import { spawn } from 'node:child_process';
import { NHD, connectSocketClient, startSocketDaemon, tempHome, until } from '../harness/daemon';
import { DEV_IMAGE, applyDeployment, createNamespace, kubectl, kubectlJson, nhdCli } from './support';

/**
 * File sync of a dev session on the real cluster: the agent runs in the dev pod's sidecar, the
 * daemon watches a local directory. The remote tree is read through the sidecar with sha256sum,
 * so every comparison is by content.
 */

const ns = createNamespace('nhd-sync');
const cli = nhdCli('sync@e2e');
let daemon: Awaited<ReturnType<typeof startSocketDaemon>>;
let client: Awaited<ReturnType<typeof connectSocketClient>>;

beforeAll(async () => {
  applyDeployment(ns.name, 'web', [`{name: app, image: ${DEV_IMAGE}, command: [sh, -c, 'sleep infinity']}`]);
  daemon = await startSocketDaemon(cli.home, [], { KUBECONFIG: process.env['KUBECONFIG']!, NHD_IDENTITY: 'sync@e2e' });
  client = await connectSocketClient(daemon.socketPath);
});

afterAll(async () => {
  await cli.run(['dev', 'end', 'deployment/web', '-n', ns.name]).catch(() => {});
  client?.dispose();
  await daemon?.stop();
  ns.dispose();
});

/** path → `file:<mode>:<sha256>` | `dir` | `link:<target>`, for every entry under root (local). */
function localTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel))) {
      const child = rel ? `${rel}/${name}` : name;
      const abs = path.join(root, child);
      const stat = fs.lstatSync(abs);
      if (stat.isSymbolicLink()) out[child] = `link:${fs.readlinkSync(abs)}`;
      else if (stat.isDirectory()) {
        out[child] = 'dir';
        walk(child);
      } else out[child] = `file:${(stat.mode & 0o777).toString(8)}:${createHash('sha256').update(fs.readFileSync(abs)).digest('hex')}`;
    }
  };
  walk('');
  return out;
}

/** The same, read in the sidecar (the agent's temp files are left out). */
function remoteTree(pod: string): Record<string, string> {
  const script = `cd /nhd/src && find . -mindepth 1 ! -name '.nhd-tmp-*' | while IFS= read -r p; do
    r="\${p#./}"
    if [ -L "$p" ]; then echo "$r	link:$(readlink "$p")"
    elif [ -d "$p" ]; then echo "$r	dir"
    else echo "$r	file:$(stat -c %a "$p"):$(sha256sum < "$p" | cut -d' ' -f1)"; fi
  done`;
  const out: Record<string, string> = {};
  for (const line of kubectl(['exec', '-n', ns.name, pod, '-c', 'nhd-sync', '--', 'sh', '-c', script]).split('\n')) {
    if (!line) continue;
    const [p, v] = line.split('\t');
    out[p!] = v!;
  }
  return out;
}

const syncPushes = () => client.notifications.filter((n) => n.method === 'nhd/sync/didChange').map((n) => n.params as SyncStatus);

async function statusOf(name: string): Promise<SyncStatus> {
  const { sessions } = await client.connection.sendRequest(SyncStatusRequest.type, {});
  const session = sessions.find((s) => s.sessionId.endsWith(`/${ns.name}/deployment/${name}`));
  if (!session) throw new Error(`no sync session for ${name}: ${JSON.stringify(sessions)}`);
  return session;
}

const status = () => statusOf('web');

async function converged(local: string): Promise<void> {
  const want = JSON.stringify(localTree(local), Object.keys(localTree(local)).sort());
  await until(
    async () => {
      const s = await status();
      if (s.state !== 'watching' || !s.pod) return false;
      const remote = remoteTree(s.pod);
      return JSON.stringify(remote, Object.keys(remote).sort()) === want;
    },
    'the container has the local tree',
    90_000,
  );
}

describe('file sync of a dev session', () => {
  const local = tempHome();

  it('syncs the local directory into the sidecar at dev start, modes and links included', async () => {
    fs.mkdirSync(path.join(local, 'src/empty'), { recursive: true });
    fs.writeFileSync(path.join(local, 'src/app.py'), 'print("v1")\n');
    fs.writeFileSync(path.join(local, 'run.sh'), '#!/bin/sh\nexec python3 src/app.py\n', { mode: 0o755 });
    fs.symlinkSync('src/app.py', path.join(local, 'main.py'));
    fs.writeFileSync(path.join(local, 'big.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
    const session = await client.connection.sendRequest(DevStartRequest.type, { kind: 'deployment', name: 'web', namespace: ns.name, localDir: local, sync: true, image: DEV_IMAGE, workDir: '/src' });
    expect(session.state).toBe('ready');
    expect(remoteTree(session.pod!)).toEqual(localTree(local));
    const s = await status();
    expect(s).toMatchObject({ state: 'watching', localDir: local, remoteDir: '/src', type: 'send', pod: session.pod });
    expect(s.lastBatch).toMatchObject({ kind: 'initial', direction: 'push' });
    expect(s.lastBatch!.bytes).toBeGreaterThanOrEqual(3 * 1024 * 1024);
    // The dev container sees the same files at its workDir.
    expect(kubectl(['exec', '-n', ns.name, session.pod!, '-c', 'app', '--', 'sh', '-c', 'cd /src && ./run.sh'])).toBe('v1\n');
  });

  it('pushes each saved change with its latency once it is live', async () => {
    const before = syncPushes().length;
    fs.writeFileSync(path.join(local, 'src/app.py'), 'print("v2")\n');
    await until(() => syncPushes().slice(before).some((p) => p.lastBatch?.kind === 'batch' && p.lastBatch.paths.includes('src/app.py')), 'a batch with src/app.py', 20_000);
    const batch = syncPushes().slice(before).find((p) => p.lastBatch?.paths.includes('src/app.py'))!.lastBatch!;
    expect(batch.files).toBeGreaterThanOrEqual(1);
    expect(batch.latencyMs).toBeGreaterThan(0);
    // Acknowledged means live: the container has it as soon as the push arrived.
    const pod = (await status()).pod!;
    expect(kubectl(['exec', '-n', ns.name, pod, '-c', 'app', '--', 'cat', '/src/src/app.py'])).toBe('print("v2")\n');
    const shown = await cli.run(['sync', 'status']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`deployment/web: watching \\(pod ${pod}\\), send ${local.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} -> /src`));
    expect(shown.stdout).toMatch(/last: batch push src\/app\.py, \d+ B, live in \d+ms/);
  });

  it('nhd sync status --watch --json prints each pushed change as a line until Ctrl-C', async () => {
    const child = spawn(process.execPath, [NHD, 'sync', 'status', '--watch', '--json'], { env: cli.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const lines = () => out.split('\n').filter(Boolean).map((line) => JSON.parse(line) as SyncStatus);
    try {
      await until(() => lines().length >= 1, 'the current status first', 20_000);
      expect(lines()[0]).toMatchObject({ state: 'watching', remoteDir: '/src' });
      fs.writeFileSync(path.join(local, 'src/watched.txt'), 'seen by --watch\n');
      await until(() => lines().some((l) => l.lastBatch?.paths.includes('src/watched.txt') === true), 'a line for the save', 20_000);
    } finally {
      child.kill('SIGINT');
    }
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
  });

  it('converges with nothing lost when the sidecar is killed in the middle of a burst', async () => {
    const pod = (await status()).pod!;
    const restartsBefore = sidecarRestarts(pod);
    const writes = (async () => {
      for (let i = 0; i < 400; i++) {
        fs.mkdirSync(path.join(local, `burst/d${i % 20}`), { recursive: true });
        fs.writeFileSync(path.join(local, `burst/d${i % 20}/f${i}.txt`), `file ${i}\n`.repeat(50));
        if (i % 50 === 0) await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await new Promise((r) => setTimeout(r, 60));
    // The keep-alive traps TERM and exits: the container dies with the agent in it and is restarted.
    try {
      kubectl(['exec', '-n', ns.name, pod, '-c', 'nhd-sync', '--', 'kill', '1']);
    } catch (error) {
      // The container may die before the exec reports back (137); the restart count below is what counts.
      if (!/exit code 137/.test(String(error))) throw error;
    }
    await writes;
    fs.rmSync(path.join(local, 'big.bin'));
    await until(() => sidecarRestarts(pod) > restartsBefore, 'the sidecar restarted', 60_000);
    await converged(local);
    const s = await status();
    expect(s.reconnects).toBeGreaterThanOrEqual(1);
    expect(syncPushes().some((p) => p.state === 'reconnecting')).toBe(true);
  });

  it('follows the workload to a new pod and resyncs it by index', async () => {
    const old = (await status()).pod!;
    kubectl(['delete', 'pod', old, '-n', ns.name, '--wait=false']);
    fs.writeFileSync(path.join(local, 'src/after-restart.txt'), 'written while the pod restarted\n');
    await until(async () => (await status()).pod !== old, 'sync moved to the new pod', 120_000);
    await converged(local);
  });

  it('holds an rm -rf of the local tree under deleteProtection, and applies it on request', async () => {
    const before = Object.keys(localTree(local)).length;
    for (const name of fs.readdirSync(local)) fs.rmSync(path.join(local, name), { recursive: true, force: true });
    await until(async () => (await status()).held.length > 0, 'held deletes reported', 30_000);
    const s = await status();
    expect(s.held).toEqual(expect.arrayContaining(['burst', 'src', 'run.sh']));
    expect(Object.keys(remoteTree(s.pod!)).length).toBeGreaterThanOrEqual(before);
    const after = await client.connection.sendRequest(SyncResyncRequest.type, { sessionId: s.sessionId, allowDeletes: true });
    expect(after.held).toEqual([]);
    expect(remoteTree(after.pod!)).toEqual({});
  });

  it('stops with dev end', async () => {
    expect((await cli.run(['dev', 'end', 'deployment/web', '-n', ns.name])).code).toBe(0);
    await until(() => syncPushes().some((p) => p.state === 'stopped'), 'sync stopped', 20_000);
    expect((await client.connection.sendRequest(SyncStatusRequest.type, {})).sessions).toEqual([]);
  });
});

describe('two-way file sync (sync.type sendReceive)', () => {
  const local = tempHome();

  it('brings back what the program writes in the container, and keeps carrying local edits', async () => {
    fs.mkdirSync(path.join(local, '.nocalhost'));
    fs.writeFileSync(
      path.join(local, '.nocalhost/config.yaml'),
      `name: web\nserviceType: deployment\ncontainers:\n  - name: app\n    dev:\n      image: ${DEV_IMAGE}\n      workDir: /src\n      sync:\n        type: sendReceive\n        ignoreFilePattern: [".nocalhost"]\n`,
    );
    fs.writeFileSync(path.join(local, 'main.js'), 'console.log(1)\n');
    const start = await cli.run(['dev', 'start', 'deployment/web', '-n', ns.name, '--local-dir', local, '--json']);
    expect(start.stderr).not.toMatch(/^nhd: /m);
    const pod = JSON.parse(start.stdout).pod as string;
    expect((await status()).type).toBe('sendReceive');
    kubectl(['exec', '-n', ns.name, pod, '-c', 'app', '--', 'sh', '-c', 'mkdir -p /src/gen && echo generated > /src/gen/out.txt']);
    await until(() => fs.existsSync(path.join(local, 'gen/out.txt')), 'the generated file arrives locally', 20_000);
    expect(fs.readFileSync(path.join(local, 'gen/out.txt'), 'utf8')).toBe('generated\n');
    fs.writeFileSync(path.join(local, 'main.js'), 'console.log(2)\n');
    await until(() => kubectl(['exec', '-n', ns.name, pod, '-c', 'app', '--', 'cat', '/src/main.js']) === 'console.log(2)\n', 'the local edit arrives', 20_000);
    kubectl(['exec', '-n', ns.name, pod, '-c', 'app', '--', 'rm', '/src/gen/out.txt']);
    await until(() => !fs.existsSync(path.join(local, 'gen/out.txt')), 'the delete arrives locally', 20_000);
    expect((await cli.run(['dev', 'end', 'deployment/web', '-n', ns.name])).code).toBe(0);
  });
});

describe('the sync sidecar', () => {
  it('is confined: read-only root, no privilege, only DAC_OVERRIDE and FOWNER; it writes only the source and the agent directory', async () => {
    const session = await client.connection.sendRequest(DevStartRequest.type, { kind: 'deployment', name: 'web', namespace: ns.name, localDir: tempHome(), sync: true, image: DEV_IMAGE, workDir: '/src' });
    const pod = session.pod!;
    const sidecar = kubectlJson(['get', 'pod', pod, '-n', ns.name]).spec.containers.find((c: { name: string }) => c.name === 'nhd-sync');
    expect(sidecar.securityContext).toEqual({ privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'], add: ['DAC_OVERRIDE', 'FOWNER'] } });
    const inSidecar = (script: string) => kubectl(['exec', '-n', ns.name, pod, '-c', 'nhd-sync', '--', 'sh', '-c', script]);
    // Bits 1 (DAC_OVERRIDE) and 3 (FOWNER), nothing else, for the agent's processes as for PID 1.
    expect(inSidecar('grep -E "^Cap(Eff|Prm|Bnd)" /proc/self/status')).toBe('CapPrm:\t000000000000000a\nCapEff:\t000000000000000a\nCapBnd:\t000000000000000a\n');
    for (const outside of ['/tmp/x', '/etc/x', '/nhd/x', '/root/x']) {
      expect(inSidecar(`touch ${outside} 2>&1; echo "exit $?"`), outside).toMatch(/Read-only file system\nexit 1\n$/);
    }
    expect(inSidecar('touch /nhd/src/.probe /tmp/nhd-agent/.probe && rm /nhd/src/.probe /tmp/nhd-agent/.probe && echo ok')).toBe('ok\n');
    // The agent it runs from there works (the sync of this session is up).
    await until(async () => (await status()).state === 'watching', 'sync watching', 30_000);
    expect((await cli.run(['dev', 'end', 'deployment/web', '-n', ns.name])).code).toBe(0);
  });
});

describe('a dev container that runs as another user', () => {
  const local = tempHome();

  it("replaces, chmods and deletes the files that user wrote, through the confined sidecar's two capabilities", async () => {
    applyDeployment(ns.name, 'other', [`{name: app, image: ${DEV_IMAGE}, command: [sh, -c, 'sleep infinity'], securityContext: {runAsUser: 1000, runAsGroup: 1000}}`]);
    for (let i = 0; i < 6; i++) fs.writeFileSync(path.join(local, `keep${i}.txt`), `keep ${i}\n`);
    const session = await client.connection.sendRequest(DevStartRequest.type, { kind: 'deployment', name: 'other', namespace: ns.name, localDir: local, sync: true, image: DEV_IMAGE, workDir: '/src' });
    const pod = session.pod!;
    const sameTree = () => {
      const remote = remoteTree(pod);
      return JSON.stringify(remote, Object.keys(remote).sort()) === JSON.stringify(localTree(local), Object.keys(localTree(local)).sort());
    };
    await until(sameTree, 'the initial sync', 30_000);
    // uid 1000 makes a directory only it can write, with a read-only file in it.
    kubectl(['exec', '-n', ns.name, pod, '-c', 'app', '--', 'sh', '-c', 'mkdir -m 0755 /src/mine && echo theirs > /src/mine/a.txt && chmod 0444 /src/mine/a.txt']);
    expect(kubectl(['exec', '-n', ns.name, pod, '-c', 'nhd-sync', '--', 'stat', '-c', '%u %a', '/nhd/src/mine', '/nhd/src/mine/a.txt'])).toBe('1000 755\n1000 444\n');
    // The local side writes over it, adds to it and makes the directory 0700 (a chmod of uid 1000's directory).
    fs.mkdirSync(path.join(local, 'mine'), { mode: 0o700 });
    fs.chmodSync(path.join(local, 'mine'), 0o700);
    fs.writeFileSync(path.join(local, 'mine/a.txt'), 'ours\n', { mode: 0o644 });
    fs.writeFileSync(path.join(local, 'mine/b.txt'), 'new\n', { mode: 0o600 });
    await client.connection.sendRequest(SyncResyncRequest.type, { sessionId: (await statusOf('other')).sessionId });
    await until(sameTree, 'the local tree over the files of uid 1000', 30_000);
    expect(remoteTree(pod)['mine']).toBe('dir');
    expect(kubectl(['exec', '-n', ns.name, pod, '-c', 'nhd-sync', '--', 'stat', '-c', '%a', '/nhd/src/mine'])).toBe('700\n');
    // And deletes the directory of uid 1000, mode 0700, with what is in it.
    fs.rmSync(path.join(local, 'mine'), { recursive: true });
    await until(sameTree, 'the delete of the directory of uid 1000', 30_000);
    expect((await cli.run(['dev', 'end', 'deployment/other', '-n', ns.name])).code).toBe(0);
  });
});

function sidecarRestarts(pod: string): number {
  const statuses = kubectlJson(['get', 'pod', pod, '-n', ns.name]).status.containerStatuses ?? [];
  return statuses.find((c: { name: string }) => c.name === 'nhd-sync')?.restartCount ?? 0;
}
