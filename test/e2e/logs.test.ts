import { spawn } from 'node:child_process';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, LogsOutputNotification, LogsStreamRequest, type LogsOutputParams, type LogsStreamResult } from '../../protocol';
import { NHD, connectSocketClient, startSocketDaemon, tempHome, until, type TestClient } from '../harness/daemon';
import { APP_IMAGE, applyDeployment, createNamespace, nhdCli } from './support';

/**
 * Logs on the real cluster: a tail, the container asked for, UTF-8 across chunks, a follow that
 * sees new lines and ends cleanly when cancelled; through the protocol and `nhd logs`.
 */

const WAIT_MS = 60_000;
let ns: ReturnType<typeof createNamespace>;
let daemon: Awaited<ReturnType<typeof startSocketDaemon>>;
let client: TestClient;
const cli = nhdCli();

beforeAll(async () => {
  ns = createNamespace('nhd-logs');
  applyDeployment(
    ns.name,
    'ticker',
    [
      `{name: app, image: ${APP_IMAGE}, imagePullPolicy: Never, command: [sh, -c, 'for i in 1 2 3 4 5; do echo "boot $i héllo ✓"; done; i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.3; done']}`,
      `{name: quiet, image: ${APP_IMAGE}, imagePullPolicy: Never, command: [sh, -c, 'echo "quiet here"; exec sleep infinity']}`,
    ],
    { terminationGracePeriodSeconds: 0, automountServiceAccountToken: false },
  );
  daemon = await startSocketDaemon(tempHome());
  client = await connectSocketClient(daemon.socketPath, 'logs-e2e');
});

afterAll(async () => {
  client?.dispose();
  await daemon?.stop();
  cli.stop();
  ns?.dispose();
});

function textOf(streamId: string): string {
  return client.notifications
    .filter((n) => n.method === LogsOutputNotification.method)
    .map((n) => n.params as LogsOutputParams)
    .filter((p) => p.streamId === streamId)
    .map((p) => p.text)
    .join('');
}

function stream(params: Record<string, unknown>, token?: CancellationTokenSource): Promise<LogsStreamResult> {
  const all = { kind: 'deployment', name: 'ticker', namespace: ns.name, ...params };
  // An undefined third argument would be sent as a second param (an array); leave it out.
  return (token ? client.connection.sendRequest(LogsStreamRequest.method, all, token.token) : client.connection.sendRequest(LogsStreamRequest.method, all)) as Promise<LogsStreamResult>;
}

describe('nhd/logs/stream over the protocol', () => {
  it('streams the whole log of the first container, UTF-8 intact, and says where it read', async () => {
    const result = await stream({ streamId: 'all' });
    expect(result.container).toBe('app');
    expect(result.pod).toMatch(/^ticker-/);
    const text = textOf('all');
    expect(text.startsWith('boot 1 héllo ✓\nboot 2 héllo ✓\n')).toBe(true);
    expect(result.bytes).toBe(Buffer.byteLength(text));
    // Whole lines: every piece ends with a newline.
    const pieces = client.notifications.filter((n) => n.method === LogsOutputNotification.method && (n.params as LogsOutputParams).streamId === 'all');
    expect(pieces.every((n) => (n.params as LogsOutputParams).text.endsWith('\n'))).toBe(true);
  });

  it('tails the last lines of the container asked for', async () => {
    await stream({ streamId: 'tail', tailLines: 2 });
    const lines = textOf('tail').split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.startsWith('tick '))).toBe(true);
    const quiet = await stream({ streamId: 'quiet', container: 'quiet' });
    expect(quiet.container).toBe('quiet');
    expect(textOf('quiet')).toBe('quiet here\n');
  });

  it('follows new lines until cancelled, then answers normally', async () => {
    const cancel = new CancellationTokenSource();
    const pending = stream({ streamId: 'follow', follow: true, tailLines: 1 }, cancel);
    const tickOf = (line: string | undefined) => Number(/tick (\d+)/.exec(line ?? '')?.[1]);
    await until(() => textOf('follow').split('\n').filter(Boolean).length >= 1, 'the first followed line', WAIT_MS);
    const first = tickOf(textOf('follow').split('\n')[0]);
    await until(() => textOf('follow').split('\n').filter(Boolean).length >= 4, 'three new lines', WAIT_MS);
    const lines = textOf('follow').split('\n').filter(Boolean);
    expect(lines.map(tickOf)).toEqual(lines.map((_, i) => first + i));
    cancel.cancel();
    const result = await pending;
    expect(result).toMatchObject({ container: 'app' });
    expect(result.bytes).toBeGreaterThan(0);
    // Nothing arrives after the answer.
    const after = textOf('follow').length;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(textOf('follow').length).toBe(after);
  });

  it('refuses a container the pod lacks, naming the ones it has', async () => {
    const error = await stream({ streamId: 'x', container: 'nope' }).catch((e: { code: number; message: string }) => e);
    expect(error).toMatchObject({ code: ErrorCode.ContainerNotFound });
    expect((error as { message: string }).message).toContain('app, quiet');
  });
});

describe('nhd logs', () => {
  it('prints a tail', async () => {
    const result = await cli.run(['logs', 'deploy/ticker', '-n', ns.name, '--tail', '3']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean)).toHaveLength(3);
    const quiet = await cli.run(['logs', 'deploy/ticker', '-n', ns.name, '-c', 'quiet']);
    expect(quiet).toMatchObject({ code: 0, stdout: 'quiet here\n' });
  });

  it('follows with -f until Ctrl-C, then exits 0', async () => {
    const child = spawn(process.execPath, [NHD, 'logs', 'deployment/ticker', '-n', ns.name, '-f', '--tail', '1'], { env: cli.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    await until(() => stdout.split('\n').filter(Boolean).length >= 3, 'three lines from nhd logs -f', WAIT_MS);
    child.kill('SIGINT');
    expect(await closed).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^tick \d+\n/);
  });
});
