import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkloadsWatchRequest, type WorkloadsDidChangeParams } from '../../protocol';
import { REPO, connectSocketClient, startSocketDaemon, tempHome, until } from '../harness/daemon';
import { apply, kubectlJson, nhdCli } from './support';

/**
 * The sample app the way a new user meets nhd: app install, ls, dev start on authors with the
 * app's .nocalhost/config.yaml, exec, the config's port-forward, dev end, app uninstall; and
 * browsing pushed from watches.
 */
// The namespace does not exist yet: app install creates it.
const NS = `nhd-bookinfo-${Date.now().toString(36)}`;
const ns = { name: NS, dispose: () => void spawnSync('kubectl', ['delete', 'namespace', NS, '--wait=false'], { env: process.env }) };
const cli = nhdCli('carol@workstation');
const APP = path.join(REPO, 'test/fixtures/bookinfo-lite');
afterAll(() => {
  cli.stop();
  ns.dispose();
});

function get(port: number, pathname = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: pathname, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('bookinfo-lite', () => {
  it('installs with nhd app install and waits until every workload is available', async () => {
    const result = await cli.run(['app', 'install', path.join(APP, 'manifests'), '-n', ns.name, '--name', 'bookinfo', '--json']);
    expect(result.stderr).not.toMatch(/^nhd: /m);
    expect(result.code).toBe(0);
    const installed = JSON.parse(result.stdout);
    expect(installed.objects.map((o: { kind: string; name: string }) => `${o.kind}/${o.name}`)).toEqual(expect.arrayContaining(['Deployment/authors', 'Deployment/productpage', 'Service/authors']));
    for (const name of ['authors', 'details', 'productpage']) {
      const d = kubectlJson(['get', 'deployment', name, '-n', ns.name]);
      expect(d.status.availableReplicas).toBe(d.spec.replicas);
      expect(d.metadata.labels['nhd.dev/app']).toBe('bookinfo');
    }
    // The config's install.portForward: productpage on 127.0.0.1:39080, held by the daemon.
    expect(installed.portForwards).toEqual([expect.objectContaining({ kind: 'deployment', name: 'productpage', localPort: 39080, remotePort: 9080 })]);
    expect(installed.warnings).toBeUndefined();
    expect(await get(39080)).toMatch(/productpage|Book/i);
    const ls = await cli.run(['ls', '-n', ns.name]);
    expect(ls.stdout).toMatch(/^KIND\/NAME\s+READY\s+DEV\n/);
    expect(ls.stdout).toMatch(/deployment\/authors\s+1\/1\s+-\n/);
  });

  it('runs the new user’s loop: dev start, exec, the config’s port-forward, dev end', async () => {
    const start = await cli.run(['dev', 'start', 'deployment/authors', '-n', ns.name, '--local-dir', path.join(APP, 'authors'), '--json']);
    expect(start.stderr).not.toMatch(/^nhd: /m);
    expect(start.code).toBe(0);
    expect(JSON.parse(start.stdout)).toMatchObject({ image: 'docker.io/nhd/dev-go:v1', workDir: '/home/nocalhost-dev', state: 'ready' });

    const exec = await cli.run(['exec', 'deployment/authors', '-n', ns.name, '--', 'sh', '-c', 'pwd; go version']);
    expect(exec.code).toBe(0);
    expect(exec.stdout).toMatch(/^\/home\/nocalhost-dev\ngo version go1\.\d+/);

    const forwards = JSON.parse((await cli.run(['port-forward', '--list', '--json'])).stdout).portForwards;
    // The dev config's portForward of authors, beside the install.portForward of productpage.
    const installForward = expect.objectContaining({ kind: 'deployment', name: 'productpage', localPort: 39080, remotePort: 9080 });
    expect(forwards).toEqual([installForward, expect.objectContaining({ kind: 'deployment', name: 'authors', localPort: 39081, remotePort: 9080 })]);

    const end = await cli.run(['dev', 'end', 'deployment/authors', '-n', ns.name]);
    expect(end.code).toBe(0);
    expect(JSON.parse((await cli.run(['port-forward', '--list', '--json'])).stdout).portForwards).toEqual([installForward]);
    // The original authors serves again, through productpage.
    const forward = await cli.run(['port-forward', 'deployment/productpage', '0:9080', '-n', ns.name, '--json']);
    const port = JSON.parse(forward.stdout).localPort;
    await until(async () => (await get(port).catch(() => '')).length > 0, 'productpage answers', 60_000);
    expect(await get(port)).toMatch(/author/i);
    await cli.run(['port-forward', '--stop', 'all']);
  });

  it('works as a new user types it, from the repository root, configured by the dev.nocalhost annotation', async () => {
    const start = await cli.run(['dev', 'start', 'deployment/authors', '-n', ns.name], REPO);
    expect(start.stderr).not.toMatch(/^nhd: /m);
    expect(start.code).toBe(0);
    expect(start.stdout).toMatch(/^deployment\/authors is in dev mode: pod authors-\S+, container authors, image docker\.io\/nhd\/dev-go:v1, source at \/home\/nocalhost-dev\n$/);
    const ls = await cli.run(['exec', 'deployment/authors', '-n', ns.name, '--', 'ls', '-a'], REPO);
    expect(ls).toMatchObject({ code: 0, stdout: '.\n..\n' });
    const end = await cli.run(['dev', 'end', 'deployment/authors', '-n', ns.name], REPO);
    expect(end).toMatchObject({ code: 0, stdout: 'Dev mode of deployment/authors ended; its original spec is restored.\n' });
  });

  it('pushes workload changes to a watching client, dev state included', async () => {
    const daemon = await startSocketDaemon(tempHome(), [], { KUBECONFIG: process.env['KUBECONFIG']!, NHD_IDENTITY: 'carol@workstation' });
    const client = await connectSocketClient(daemon.socketPath);
    try {
      const watch = await client.connection.sendRequest(WorkloadsWatchRequest.type, { namespace: ns.name });
      expect(watch.workloads.map((w) => `${w.kind}/${w.name}`)).toContain('deployment/authors');
      const pushes = () => client.notifications.filter((n) => n.method === 'nhd/workloads/didChange').map((n) => n.params as WorkloadsDidChangeParams);
      apply(ns.name, `apiVersion: apps/v1
kind: Deployment
metadata: {name: late}
spec:
  selector: {matchLabels: {app: late}}
  template:
    metadata: {labels: {app: late}}
    spec: {containers: [{name: c, image: "docker.io/nhd/dev-python:v1", imagePullPolicy: Never, command: [sleep, "3600"]}]}`);
      await until(() => pushes().some((p) => p.watchId === watch.watchId && p.workloads.some((w) => w.name === 'late')), 'a push with the new deployment', 30_000);
      expect((await cli.run(['dev', 'start', 'deployment/late', '-n', ns.name, '--image', 'docker.io/nhd/dev-python:v1'])).code).toBe(0);
      await until(() => pushes().some((p) => p.workloads.some((w) => w.name === 'late' && w.devState === 'developing' && w.devOwner?.identity === 'carol@workstation')), 'a push with its dev state', 30_000);
      expect((await cli.run(['dev', 'end', 'deployment/late', '-n', ns.name])).code).toBe(0);
      await until(() => pushes().at(-1)!.workloads.some((w) => w.name === 'late' && w.devState === 'none'), 'a push after dev end', 30_000);
    } finally {
      client.dispose();
      await daemon.stop();
    }
  });

  it('uninstalls with nhd app uninstall', async () => {
    const result = await cli.run(['app', 'uninstall', 'bookinfo', '-n', ns.name]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Uninstalled bookinfo: \d+ objects deleted\n$/);
    // Its install.portForward went with it.
    expect(JSON.parse((await cli.run(['port-forward', '--list', '--json'])).stdout).portForwards).not.toContainEqual(expect.objectContaining({ name: 'productpage', localPort: 39080 }));
    expect(kubectlJson(['get', 'deployments,services', '-n', ns.name, '-l', 'nhd.dev/app=bookinfo']).items).toEqual([]);
    const again = await cli.run(['app', 'uninstall', 'bookinfo', '-n', ns.name]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`nhd: No app "bookinfo" is installed in namespace ${ns.name}; \`nhd app install DIR\` installs one.\n`);
  });
});
