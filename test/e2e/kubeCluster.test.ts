import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeCluster } from '../../adapters/kube';
import { KubeApiError, type KubeObject, type ResourceType, type WatchEventType } from '../../server/ports';

/**
 * adapters/kube against the real local cluster (test/cluster): every Cluster method, in a fresh
 * namespace that is deleted at the end.
 */

const NAMESPACE: ResourceType = { apiVersion: 'v1', kind: 'Namespace' };
const CONFIGMAP: ResourceType = { apiVersion: 'v1', kind: 'ConfigMap' };
const POD: ResourceType = { apiVersion: 'v1', kind: 'Pod' };
const DEPLOYMENT: ResourceType = { apiVersion: 'apps/v1', kind: 'Deployment' };
const SERVICE: ResourceType = { apiVersion: 'v1', kind: 'Service' };
const IMAGE = 'docker.io/nhd/dev-python:v1';

process.env.KUBECONFIG ||= path.join(os.homedir(), '.cache/nhd-cluster/kubeconfig');
const cluster = new KubeCluster();
const ns = `nhd-kube-${process.pid}-${Date.now().toString(36)}`;
let ctx = '';

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function collector(): { stream: Writable; text(): string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

function configMap(name: string, data: Record<string, string>, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data };
}

beforeAll(async () => {
  ctx = cluster.config().currentContext;
  expect(ctx).not.toBe('');
  await cluster.create(ctx, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  // Pods are refused until the namespace's default service account exists.
  await until(async () => (await cluster.get(ctx, ns, { apiVersion: 'v1', kind: 'ServiceAccount' }, 'default')) !== undefined, 'service account');
  await cluster.create(ctx, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: ns },
    spec: {
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      containers: [
        { name: 'web', image: IMAGE, imagePullPolicy: 'Never', command: ['python3', '-m', 'http.server', '8080'], workingDir: '/etc' },
        {
          name: 'ticker',
          image: IMAGE,
          imagePullPolicy: 'Never',
          command: ['sh', '-c', 'i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.1; done'],
        },
      ],
    },
  });
  await until(async () => (await cluster.get(ctx, ns, POD, 'web'))?.status?.phase === 'Running', 'pod web Running', 120_000);
});

afterAll(async () => {
  if (ctx) await cluster.delete(ctx, '', NAMESPACE, ns, { gracePeriodSeconds: 0 });
});

describe('config', () => {
  it('reads KUBECONFIG with several files the way kubectl does', async () => {
    const real = process.env.KUBECONFIG!.split(path.delimiter)[0]!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nhd-kubeconfig-'));
    const first = path.join(dir, 'first.yaml');
    // No clusters or users and no current-context: those come from the second file. Its "nhd"
    // context shadows the second file's (first file wins), "extra" is a copy with a namespace.
    const realView = new KubeCluster({ kubeconfig: real }).config();
    const realCtx = realView.contexts.find((c) => c.name === realView.currentContext)!;
    fs.writeFileSync(
      first,
      [
        'apiVersion: v1',
        'kind: Config',
        'contexts:',
        `- name: extra`,
        `  context: {cluster: ${realCtx.cluster}, user: ${realCtx.user}, namespace: ${ns}}`,
        `- name: ${realCtx.name}`,
        `  context: {cluster: ${realCtx.cluster}, user: ${realCtx.user}, namespace: shadowed}`,
        '',
      ].join('\n'),
    );
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = [first, path.join(dir, 'missing.yaml'), real].join(path.delimiter);
    try {
      const c = new KubeCluster();
      const view = c.config();
      expect(view.files).toEqual([first, real]);
      expect(view.currentContext).toBe(realCtx.name);
      expect(view.contexts.map((x) => x.name)).toEqual(['extra', realCtx.name]);
      expect(view.contexts[0]).toEqual({ name: 'extra', cluster: realCtx.cluster, user: realCtx.user, namespace: ns });
      expect(c.defaultNamespace('extra')).toBe(ns);
      expect(c.defaultNamespace(realCtx.name)).toBe('shadowed');
      // The merged context reaches the cluster with the second file's cluster and user.
      const pods = await c.list('extra', c.defaultNamespace('extra'), POD);
      expect(pods.map((p) => p.metadata.name)).toEqual(['web']);
      expect(pods[0]!.kind).toBe('Pod');

      // A context that names the current one in the first file wins; the file is read again.
      fs.writeFileSync(first, fs.readFileSync(first, 'utf8') + 'current-context: extra\n');
      expect(c.config().currentContext).toBe('extra');
      await expect(c.list('nope', 'default', POD)).rejects.toThrow(/context "nope" is not in the kubeconfig/);
    } finally {
      process.env.KUBECONFIG = saved;
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(cluster.defaultNamespace(ctx)).toBe(realCtx.namespace ?? 'default');
  });

  it('names the server and the cause when the API server cannot be reached', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nhd-kubeconfig-'));
    const file = path.join(dir, 'down.yaml');
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    fs.writeFileSync(
      file,
      `apiVersion: v1\nkind: Config\nclusters: [{name: down, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: x}}]\ncontexts: [{name: down, context: {cluster: down, user: u}}]\ncurrent-context: down\n`,
    );
    try {
      const c = new KubeCluster({ kubeconfig: file });
      const err = await c.list('down', 'default', POD).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(KubeApiError);
      expect((err as Error).message).toContain(`https://127.0.0.1:${port}`);
      expect((err as Error).message).toMatch(/ECONNREFUSED/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('objects', () => {
  it('creates, gets, replaces (409 when stale), merge-patches and deletes', async () => {
    const created = await cluster.create(ctx, configMap('crud', { a: '1' }));
    expect(created.metadata.resourceVersion).toBeTruthy();
    expect(typeof created.metadata.creationTimestamp).toBe('string');

    const got = await cluster.get(ctx, ns, CONFIGMAP, 'crud');
    expect(got?.data).toEqual({ a: '1' });

    const replaced = await cluster.replace(ctx, { ...got!, data: { a: '2' } });
    expect(replaced.data).toEqual({ a: '2' });
    // `got` still carries the old resourceVersion.
    const stale = await cluster.replace(ctx, { ...got!, data: { a: '3' } }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(KubeApiError);
    expect((stale as KubeApiError).status).toBe(409);
    expect((stale as KubeApiError).reason).toBe('Conflict');
    expect((stale as KubeApiError).message).toMatch(/configmaps "crud".*the object has been modified/);

    const patched = await cluster.mergePatch(ctx, ns, CONFIGMAP, 'crud', { data: { b: 'x', a: null }, metadata: { labels: { l: 'v' } } });
    expect(patched.data).toEqual({ b: 'x' });
    expect(patched.metadata.labels).toEqual({ l: 'v' });

    expect((await cluster.list(ctx, ns, CONFIGMAP, 'l=v')).map((o) => [o.kind, o.metadata.name])).toEqual([['ConfigMap', 'crud']]);
    expect(await cluster.delete(ctx, ns, CONFIGMAP, 'crud')).toBe(true);
    expect(await cluster.get(ctx, ns, CONFIGMAP, 'crud')).toBeUndefined();
    expect(await cluster.delete(ctx, ns, CONFIGMAP, 'crud')).toBe(false);
  });

  it('returns undefined for a missing object and the API message for other errors', async () => {
    expect(await cluster.get(ctx, ns, DEPLOYMENT, 'missing')).toBeUndefined();
    const err = await cluster.mergePatch(ctx, ns, DEPLOYMENT, 'missing', { spec: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ status: 404, reason: 'NotFound', message: 'deployments.apps "missing" not found' });
    const dup = await cluster.create(ctx, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }).catch((e: unknown) => e);
    expect(dup).toMatchObject({ status: 409, reason: 'AlreadyExists', message: `namespaces "${ns}" already exists` });
    const invalid = await cluster.create(ctx, configMap('Not_Valid', {})).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 422, reason: 'Invalid' });
    const unknown = await cluster.get(ctx, ns, { apiVersion: 'example.com/v1', kind: 'Nothing' }, 'x').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(KubeApiError);
    expect((unknown as Error).message).toMatch(/doesn't have a resource type Nothing in example.com\/v1/);
    expect(await cluster.namespaces(ctx)).toContain(ns);
  });

  it('server-side applies a Deployment and a Service, with conflicts and force', async () => {
    const deployment = (replicas: number, extra: Record<string, string> = {}): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'app', namespace: ns, labels: { app: 'app', ...extra } },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'app' } },
        template: {
          metadata: { labels: { app: 'app' } },
          spec: {
            terminationGracePeriodSeconds: 0,
            containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'Never', command: ['python3', '-m', 'http.server', '8080'] }],
          },
        },
      },
    });
    const service: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'app', namespace: ns },
      spec: { selector: { app: 'app' }, ports: [{ port: 80, targetPort: 8080 }] },
    };
    const d = await cluster.apply(ctx, deployment(1), 'nhd-test', false);
    expect(d.spec.replicas).toBe(1);
    expect((d.metadata.managedFields as any[]).some((f) => f.manager === 'nhd-test' && f.operation === 'Apply')).toBe(true);
    const s = await cluster.apply(ctx, service, 'nhd-test', false);
    expect(s.spec.clusterIP).toBeTruthy();

    // The same manager changes its own fields freely.
    expect((await cluster.apply(ctx, deployment(2), 'nhd-test', false)).spec.replicas).toBe(2);
    // Another manager conflicts on replicas unless it forces.
    const conflict = await cluster.apply(ctx, deployment(3), 'someone-else', false).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(KubeApiError);
    expect(conflict).toMatchObject({ status: 409, reason: 'Conflict' });
    expect((conflict as Error).message).toMatch(/conflict/i);
    const forced = await cluster.apply(ctx, deployment(3, { owner: 'else' }), 'someone-else', true);
    expect(forced.spec.replicas).toBe(3);
    expect(forced.metadata.labels).toMatchObject({ owner: 'else' });

    expect(await cluster.delete(ctx, ns, SERVICE, 'app')).toBe(true);
    expect(await cluster.delete(ctx, ns, DEPLOYMENT, 'app', { propagation: 'Foreground' })).toBe(true);
    await until(async () => (await cluster.get(ctx, ns, DEPLOYMENT, 'app')) === undefined, 'deployment gone');
  });
});

describe('watch', () => {
  it('delivers the initial list, then ADDED, MODIFIED, DELETED, and stops on abort', async () => {
    await cluster.create(ctx, configMap('w-pre', { a: '1' }, { watch: 'yes' }));
    await cluster.create(ctx, configMap('w-other', { a: '1' }));
    const events: [WatchEventType, string, string | undefined][] = [];
    const abort = new AbortController();
    await cluster.watch(ctx, ns, CONFIGMAP, (type, o) => events.push([type, o.metadata.name, (o.data as any)?.a]), abort.signal, 'watch=yes');
    // Resolved once the first list was delivered.
    expect(events).toEqual([['ADDED', 'w-pre', '1']]);

    await cluster.create(ctx, configMap('w1', { a: '1' }, { watch: 'yes' }));
    await until(() => events.length >= 2, 'ADDED w1', 10_000);
    await cluster.mergePatch(ctx, ns, CONFIGMAP, 'w1', { data: { a: '2' } });
    await until(() => events.length >= 3, 'MODIFIED w1', 10_000);
    await cluster.delete(ctx, ns, CONFIGMAP, 'w1');
    await until(() => events.length >= 4, 'DELETED w1', 10_000);
    expect(events).toEqual([
      ['ADDED', 'w-pre', '1'],
      ['ADDED', 'w1', '1'],
      ['MODIFIED', 'w1', '2'],
      ['DELETED', 'w1', '2'],
    ]);

    abort.abort();
    await new Promise((r) => setTimeout(r, 200));
    await cluster.create(ctx, configMap('w2', { a: '1' }, { watch: 'yes' }));
    await new Promise((r) => setTimeout(r, 1500));
    expect(events).toHaveLength(4);
  });

  it('after a dropped connection re-lists and reports what changed meanwhile', async () => {
    // A TCP proxy in front of the API server, whose connections the test cuts.
    const real = process.env.KUBECONFIG!.split(path.delimiter)[0]!;
    const text = fs.readFileSync(real, 'utf8');
    const upstream = new URL(/server:\s*(\S+)/.exec(text)![1]!);
    const sockets = new Set<net.Socket>();
    let paused = false;
    const proxy = net.createServer((client) => {
      if (paused) return void client.destroy();
      const up = net.connect(Number(upstream.port || 443), upstream.hostname);
      for (const s of [client, up]) {
        sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => (sockets.delete(s), client.destroy(), up.destroy()));
      }
      client.pipe(up).pipe(client);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nhd-kubeconfig-'));
    const file = path.join(dir, 'proxied.yaml');
    fs.writeFileSync(file, text.replace(/server:\s*\S+/, `server: https://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`));
    const abort = new AbortController();
    try {
      for (const name of ['r-keep', 'r-gone', 'r-change']) await cluster.create(ctx, configMap(name, { a: '1' }, { relist: 'yes' }));
      const logged: string[] = [];
      const proxied = new KubeCluster({ kubeconfig: file, logger: { log: (_level, _tag, message) => logged.push(message) } });
      const events: string[] = [];
      await proxied.watch(ctx, ns, CONFIGMAP, (type, o) => events.push(`${type} ${o.metadata.name} ${(o.data as any)?.a}`), abort.signal, 'relist=yes');
      expect(events.sort()).toEqual(['ADDED r-change 1', 'ADDED r-gone 1', 'ADDED r-keep 1']);
      events.length = 0;

      paused = true;
      for (const s of sockets) s.destroy();
      await cluster.delete(ctx, ns, CONFIGMAP, 'r-gone');
      await cluster.mergePatch(ctx, ns, CONFIGMAP, 'r-change', { data: { a: '2' } });
      await cluster.create(ctx, configMap('r-new', { a: '1' }, { relist: 'yes' }));
      await new Promise((r) => setTimeout(r, 1000));
      paused = false;
      await until(() => events.length >= 3, 'the changes made while disconnected', 30_000);
      expect(events.sort()).toEqual(['ADDED r-new 1', 'DELETED r-gone 1', 'MODIFIED r-change 2']);
      // The watch did break (and was not simply resumed by luck).
      expect(logged.filter((m) => /watch (dropped|re-list failed)/.test(m)).length).toBeGreaterThan(0);
    } finally {
      abort.abort();
      for (const s of sockets) s.destroy();
      proxy.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives watched objects their apiVersion and kind, and rejects for a type the API does not serve', async () => {
    const abort = new AbortController();
    const kinds: string[] = [];
    await cluster.watch(ctx, ns, POD, (_t, o) => kinds.push(`${o.apiVersion}/${o.kind}/${o.metadata.name}`), abort.signal);
    abort.abort();
    expect(kinds).toEqual(['v1/Pod/web']);
    await expect(cluster.watch(ctx, ns, { apiVersion: 'example.com/v1', kind: 'Nothing' }, () => {}, new AbortController().signal)).rejects.toBeInstanceOf(KubeApiError);
  });
});

describe('exec', () => {
  it('returns the exit code and both streams', async () => {
    const out = collector();
    const err = collector();
    const p = await cluster.exec(ctx, ns, 'web', 'web', ['sh', '-c', 'echo out; echo err >&2; exit 3'], { stdout: out.stream, stderr: err.stream, tty: false });
    expect(await p.exited).toBe(3);
    expect(out.text()).toBe('out\n');
    expect(err.text()).toBe('err\n');
    const ok = await cluster.exec(ctx, ns, 'web', 'web', ['true'], { stdout: collector().stream, tty: false });
    expect(await ok.exited).toBe(0);
  });

  it('feeds stdin and ends it', async () => {
    const out = collector();
    const p = await cluster.exec(ctx, ns, 'web', 'web', ['sh', '-c', 'cat; echo done'], {
      stdin: Readable.from([Buffer.from('hello\n'), Buffer.from('world\n')]),
      stdout: out.stream,
      tty: false,
    });
    expect(await p.exited).toBe(0);
    expect(out.text()).toBe('hello\nworld\ndone\n');
  });

  it('carries binary data both ways intact, with flow control', async () => {
    const data = crypto.randomBytes(8 * 1024 * 1024 + 123);
    const chunks: Buffer[] = [];
    // A slow consumer: the websocket must wait for it rather than buffer without bound.
    const slow = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _enc, cb) {
        chunks.push(Buffer.from(chunk));
        setTimeout(cb, chunks.length % 16 === 0 ? 5 : 0);
      },
    });
    const p = await cluster.exec(ctx, ns, 'web', 'web', ['cat'], { stdin: Readable.from([data]), stdout: slow, tty: false });
    expect(await p.exited).toBe(0);
    await until(() => chunks.reduce((n, c) => n + c.length, 0) >= data.length, 'all bytes', 10_000);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });

  it('runs with a TTY of the given size and resizes it', async () => {
    const out = collector();
    const stdin = new PassThrough();
    const p = await cluster.exec(ctx, ns, 'web', 'web', ['sh'], { stdin, stdout: out.stream, tty: true, size: { cols: 100, rows: 30 } });
    // The size travels on its own channel and the kubelet applies it on its own schedule (kubectl
    // has the same race): ask again until it has landed.
    const askUntil = async (pattern: RegExp, what: string) => {
      let asked = 0;
      await until(() => {
        if (pattern.test(out.text())) return true;
        if (asked++ % 5 === 0) stdin.write('stty size; tty\n');
        return false;
      }, what, 10_000);
    };
    await askUntil(/30 100/, 'stty size 30 100');
    expect(out.text()).toMatch(/\/dev\/pts\//);
    p.resize(120, 40);
    await askUntil(/40 120/, 'stty size 40 120');
    stdin.write('exit 5\n');
    expect(await p.exited).toBe(5);
  });

  it('close() ends a running process', async () => {
    const p = await cluster.exec(ctx, ns, 'web', 'web', ['sleep', '300'], { stdin: new PassThrough(), stdout: collector().stream, tty: true });
    p.close();
    expect(await p.exited).toBeNull();
  });

  it('reports a missing pod or container as a KubeApiError', async () => {
    await expect(cluster.exec(ctx, ns, 'nope', 'web', ['true'], { stdout: collector().stream, tty: false })).rejects.toMatchObject({ status: 404, message: 'pods "nope" not found' });
    await expect(cluster.exec(ctx, ns, 'web', 'nope', ['true'], { stdout: collector().stream, tty: false })).rejects.toMatchObject({ status: 400 });
    const err = collector();
    const p = await cluster.exec(ctx, ns, 'web', 'web', ['no-such-command'], { stdout: collector().stream, stderr: err.stream, tty: false });
    expect(await p.exited).toBeNull();
    expect(err.text()).toMatch(/no-such-command/);
  });
});

describe('portForward', () => {
  it('forwards connections from a local server to the pod, and survives a closed port', async () => {
    const results: Promise<unknown>[] = [];
    const server = net.createServer((socket) => {
      results.push(cluster.portForward(ctx, ns, 'web', 8080, socket).then(() => 'ok', (e: Error) => e.message));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/hostname`, { headers: { connection: 'close' } });
        expect(res.status).toBe(200);
        expect((await res.text()).trim()).toBe('web');
      }
      const parallel = await Promise.all([1, 2, 3].map(() => fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } }).then((r) => r.status)));
      expect(parallel).toEqual([200, 200, 200]);
      await until(() => results.length === 6, 'six forwards', 10_000);
      expect(await Promise.all(results)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);

      // A large file arrives intact.
      const sum = collector();
      const made = await cluster.exec(ctx, ns, 'web', 'web', ['sh', '-c', 'head -c 20000000 /dev/urandom > /etc/big && sha256sum /etc/big'], { stdout: sum.stream, tty: false });
      expect(await made.exited).toBe(0);
      const big = Buffer.from(await (await fetch(`http://127.0.0.1:${port}/big`, { headers: { connection: 'close' } })).arrayBuffer());
      expect(big.length).toBe(20_000_000);
      expect(crypto.createHash('sha256').update(big).digest('hex')).toBe(sum.text().split(' ')[0]);
      await until(() => results.length === 7, 'seven forwards', 10_000);

      // A port nothing listens on: the forward fails with the kubelet's message, nothing crashes.
      const refusing = net.createServer((socket) => {
        results.push(cluster.portForward(ctx, ns, 'web', 9, socket).then(() => 'ok', (e: Error) => e.message));
      });
      await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
      const refusedPort = (refusing.address() as net.AddressInfo).port;
      await expect(fetch(`http://127.0.0.1:${refusedPort}/`)).rejects.toThrow();
      await until(() => results.length === 8, 'eighth forward', 10_000);
      expect(await results[7]).toMatch(/connection refused/);
      refusing.close();

      await expect(cluster.portForward(ctx, ns, 'nope', 8080, new PassThrough())).rejects.toMatchObject({ status: 404 });
    } finally {
      server.close();
    }
  });
});

describe('logs', () => {
  it('reads the last lines', async () => {
    const out = collector();
    await cluster.logs(ctx, ns, 'web', 'ticker', { follow: false, tailLines: 2 }, out.stream, new AbortController().signal);
    const lines = out.text().split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/^tick \d+$/);
    expect(out.stream.writableEnded).toBe(false);
  });

  it('follows until aborted', async () => {
    const out = collector();
    const abort = new AbortController();
    const done = cluster.logs(ctx, ns, 'web', 'ticker', { follow: true, tailLines: 1 }, out.stream, abort.signal);
    await until(() => out.text().split('\n').filter(Boolean).length >= 5, 'five ticks', 10_000);
    abort.abort();
    await done;
    const seen = out.text().length;
    await new Promise((r) => setTimeout(r, 500));
    expect(out.text().length).toBe(seen);
    const ticks = out.text().split('\n').filter(Boolean).map((l) => Number(l.split(' ')[1]));
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]).toBe(ticks[i - 1]! + 1);
  });

  it('reports a missing pod or container with the API message', async () => {
    const signal = new AbortController().signal;
    await expect(cluster.logs(ctx, ns, 'nope', 'web', { follow: false }, collector().stream, signal)).rejects.toMatchObject({ status: 404, message: 'pods "nope" not found' });
    await expect(cluster.logs(ctx, ns, 'web', 'nope', { follow: false }, collector().stream, signal)).rejects.toMatchObject({ status: 400 });
  });
});
