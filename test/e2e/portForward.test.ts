import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ErrorCode,
  PortForwardDidChangeNotification,
  PortForwardListRequest,
  PortForwardStartRequest,
  PortForwardStopRequest,
  type PortForward,
  type PortForwardListResult,
} from '../../protocol';
import { connectSocketClient, startSocketDaemon, tempHome, until, type TestClient } from '../harness/daemon';
import { APP_IMAGE, applyDeployment, createNamespace, errorOf, kubectl, nhdCli } from './support';

/**
 * Port-forwards on the real cluster: HTTP through 127.0.0.1, following the workload to a new pod
 * after its pod is deleted, state pushed to every client, list and stop, a port in use, and
 * `nhd port-forward`.
 */

const WAIT_MS = 120_000;
let ns: ReturnType<typeof createNamespace>;
let daemon: Awaited<ReturnType<typeof startSocketDaemon>>;
let client: TestClient;
let watcher: TestClient;
const cli = nhdCli();

beforeAll(async () => {
  ns = createNamespace('nhd-pf');
  // Each pod answers with its own name, so a test can tell which pod a request reached.
  applyDeployment(
    ns.name,
    'web',
    [
      `{name: web, image: ${APP_IMAGE}, imagePullPolicy: Never, command: [sh, -c, 'mkdir -p /srv && hostname > /srv/index.html && cd /srv && exec python3 -m http.server 9080'], readinessProbe: {tcpSocket: {port: 9080}, periodSeconds: 1}}`,
    ],
    { terminationGracePeriodSeconds: 0, automountServiceAccountToken: false },
  );
  daemon = await startSocketDaemon(tempHome());
  client = await connectSocketClient(daemon.socketPath, 'pf-e2e');
  watcher = await connectSocketClient(daemon.socketPath, 'pf-e2e-watcher');
});

afterAll(async () => {
  client?.dispose();
  watcher?.dispose();
  await daemon?.stop();
  cli.stop();
  ns?.dispose();
});

/** GET / on 127.0.0.1:port; the body is the name of the pod that answered. */
function get(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host, port, path: '/', timeout: 45_000, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (d) => (body += d));
      response.on('end', () => resolve(body.trim()));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

function runningPods(): string[] {
  return kubectl(['get', 'pods', '-n', ns.name, '-l', 'app=web', '-o', 'jsonpath={range .items[?(@.status.phase=="Running")]}{.metadata.name}{"\\n"}{end}'])
    .split('\n')
    .filter(Boolean);
}

async function list(c: TestClient = client): Promise<PortForward[]> {
  return ((await c.connection.sendRequest(PortForwardListRequest.method, {})) as PortForwardListResult).portForwards;
}

function start(localPort: number): Promise<PortForward> {
  return client.connection.sendRequest(PortForwardStartRequest.method, { kind: 'deployment', name: 'web', namespace: ns.name, localPort, remotePort: 9080 }) as Promise<PortForward>;
}

/** The last port-forward list pushed to a client. */
function lastPushed(c: TestClient): PortForward[] | undefined {
  return (c.notifications.filter((n) => n.method === PortForwardDidChangeNotification.method).at(-1)?.params as PortForwardListResult | undefined)?.portForwards;
}

describe('nhd/portForward over the protocol', () => {
  let forward: PortForward;

  it('forwards 127.0.0.1 to the pod and pushes the new state to every client', async () => {
    forward = await start(0);
    expect(forward).toMatchObject({ address: '127.0.0.1', kind: 'deployment', name: 'web', namespace: ns.name, remotePort: 9080, state: 'active' });
    expect(forward.localPort).toBeGreaterThan(0);
    const [pod] = runningPods();
    expect(forward.pod).toBe(pod);
    expect(await get(forward.localPort)).toBe(pod);
    await until(() => lastPushed(watcher)?.some((f) => f.id === forward.id) === true, 'the other client to be told of the forward');
  });

  it('listens on the loopback address only', async () => {
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (external === undefined) return; // No other address on this machine: nothing to reach.
    const reached = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: external, port: forward.localPort });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    expect(reached).toBe(false);
  });

  it('follows the workload to its new pod after the pod is deleted', async () => {
    const [old] = runningPods();
    kubectl(['delete', 'pod', old!, '-n', ns.name, '--wait=false']);
    // A request during the restart is held until a pod is ready, then answered by the new pod.
    const during = get(forward.localPort);
    await until(async () => {
      const [f] = await list();
      return f !== undefined && f.pod !== undefined && f.pod !== old && f.state === 'active';
    }, 'the forward to move to the new pod', WAIT_MS);
    const [moved] = await list();
    expect(await during).not.toBe('');
    expect(await get(forward.localPort)).toBe(moved!.pod);
    expect(lastPushed(watcher)?.find((f) => f.id === forward.id)?.pod).toBe(moved!.pod);
  });

  it('holds connections while no pod is ready, and answers them once one is', async () => {
    kubectl(['scale', 'deployment/web', '-n', ns.name, '--replicas=0']);
    await until(async () => (await list())[0]?.state === 'waiting', 'the forward to wait for a pod', WAIT_MS);
    expect((await list())[0]?.pod).toBeUndefined();
    expect(lastPushed(watcher)?.[0]?.state).toBe('waiting');
    const held = get(forward.localPort);
    await until(async () => (await list())[0]?.connections === 1, 'the held connection to be counted');
    kubectl(['scale', 'deployment/web', '-n', ns.name, '--replicas=1']);
    const answer = await held;
    expect(answer).toMatch(/^web-/);
    expect((await list())[0]).toMatchObject({ state: 'active', pod: answer });
  });

  it('refuses a local port that is taken, naming what holds it', async () => {
    const error = await errorOf(start(forward.localPort));
    expect(error.code).toBe(ErrorCode.PortInUse);
    expect(error.message).toContain(`127.0.0.1:${forward.localPort}`);
    expect(error.message).toContain(forward.id);
    expect(await list()).toHaveLength(1);
  });

  it('stops a forward by id, and refuses an unknown id', async () => {
    const result = (await client.connection.sendRequest(PortForwardStopRequest.method, { id: forward.id })) as PortForwardListResult;
    expect(result.portForwards).toEqual([]);
    await expect(get(forward.localPort)).rejects.toThrow(/ECONNREFUSED/);
    await until(() => lastPushed(watcher)?.length === 0, 'the other client to be told of the stop');
    const unknown = await errorOf(client.connection.sendRequest(PortForwardStopRequest.method, { id: forward.id }));
    expect(unknown.code).toBe(ErrorCode.UnknownHandle);
  });

  it('stops them all, and outlives the client that started them', async () => {
    const starter = await connectSocketClient(daemon.socketPath, 'pf-e2e-starter');
    const first = (await starter.connection.sendRequest(PortForwardStartRequest.method, { kind: 'deploy', name: 'web', namespace: ns.name, localPort: 0, remotePort: 9080 })) as PortForward;
    starter.dispose();
    await until(async () => (await list()).length === 1, 'the forward to be listed');
    expect(await get(first.localPort)).toMatch(/^web-/);
    await start(0);
    expect(await list()).toHaveLength(2);
    const result = (await client.connection.sendRequest(PortForwardStopRequest.method, { id: 'all' })) as PortForwardListResult;
    expect(result.portForwards).toEqual([]);
  });

  it('keeps an idle daemon alive while it holds a forward', async () => {
    const idle = await startSocketDaemon(tempHome(), ['--idle-timeout', '1']);
    try {
      const starter = await connectSocketClient(idle.socketPath, 'pf-e2e-idle');
      const held = (await starter.connection.sendRequest(PortForwardStartRequest.method, { kind: 'deployment', name: 'web', namespace: ns.name, localPort: 0, remotePort: 9080 })) as PortForward;
      starter.dispose();
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(idle.process.exitCode).toBeNull();
      expect(await get(held.localPort)).toMatch(/^web-/);
      const stopper = await connectSocketClient(idle.socketPath, 'pf-e2e-idle-stop');
      await stopper.connection.sendRequest(PortForwardStopRequest.method, { id: 'all' });
      stopper.dispose();
      await until(() => idle.process.exitCode !== null, 'the idle daemon to exit once nothing holds it', 15_000);
    } finally {
      await idle.stop();
    }
  });

  it('lets a stopping daemon exit and free its ports while forwards are held', async () => {
    const stopping = await startSocketDaemon(tempHome());
    const starter = await connectSocketClient(stopping.socketPath, 'pf-e2e-stopping');
    const held = (await starter.connection.sendRequest(PortForwardStartRequest.method, { kind: 'deployment', name: 'web', namespace: ns.name, localPort: 0, remotePort: 9080 })) as PortForward;
    starter.dispose();
    stopping.process.kill('SIGTERM');
    await until(() => stopping.process.exitCode !== null, 'the daemon to exit on SIGTERM with a forward held', 15_000);
    await expect(get(held.localPort)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('refuses a workload that does not exist and bad ports', async () => {
    const missing = await errorOf(
      client.connection.sendRequest(PortForwardStartRequest.method, { kind: 'deployment', name: 'nope', namespace: ns.name, localPort: 0, remotePort: 9080 }),
    );
    expect(missing.code).toBe(ErrorCode.WorkloadNotFound);
    const badPort = await errorOf(
      client.connection.sendRequest(PortForwardStartRequest.method, { kind: 'deployment', name: 'web', namespace: ns.name, localPort: 0, remotePort: 70000 }),
    );
    expect(badPort.code).toBe(-32602);
    expect(badPort.message).toContain('remotePort');
  });
});

describe('nhd port-forward', () => {
  it('starts a forward the daemon holds, lists it and stops it', async () => {
    const started = await cli.run(['port-forward', 'deployment/web', ':9080', '-n', ns.name]);
    expect(started.code).toBe(0);
    const match = /^Forwarding 127\.0\.0\.1:(\d+) -> deployment\/web:9080 \(id (pf-[0-9a-f]+)\); stop it with: nhd port-forward --stop (pf-[0-9a-f]+)\n$/.exec(started.stdout);
    expect(match, started.stdout + started.stderr).not.toBeNull();
    const [, port, id] = match!;
    expect(await get(Number(port))).toMatch(/^web-/);

    const listed = await cli.run(['port-forward', '--list', '--json']);
    expect(JSON.parse(listed.stdout).portForwards).toMatchObject([{ id, localPort: Number(port), state: 'active' }]);
    const table = await cli.run(['port-forward', '--list']);
    expect(table.stdout).toContain(`127.0.0.1:${port}`);

    const taken = await cli.run(['port-forward', 'deploy/web', `${port}:9080`, '-n', ns.name]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`already forwarded to deployment/web:9080 by ${id}`);

    const stopped = await cli.run(['port-forward', '--stop', id!]);
    expect(stopped.code).toBe(0);
    expect(JSON.parse((await cli.run(['port-forward', '--list', '--json'])).stdout).portForwards).toEqual([]);
  });

  it('explains a malformed port pair', async () => {
    const result = await cli.run(['port-forward', 'deploy/web', 'http', '-n', ns.name]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('LOCAL:REMOTE');
  });
});
