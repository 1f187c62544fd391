import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import { StatusRequest, type StatusResult } from '../../protocol';
import { alive, NHD, canConnect, connectSocketClient, nhdEnv, runCli, startSocketDaemon, tempHome, until } from '../harness/daemon';

async function status(env: NodeJS.ProcessEnv): Promise<StatusResult> {
  const result = await runCli(['status', '--json'], env);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as StatusResult;
}


describe('the shared daemon', () => {
  it('is started by the first CLI call and reused by the next, so state outlives one call', async () => {
    const home = tempHome();
    const env = nhdEnv(home);
    const first = await status(env);
    const second = await status(env);
    expect(first.mode).toBe('socket');
    expect(second.pid).toBe(first.pid);
    expect(second.uptimeMs).toBeGreaterThan(first.uptimeMs);
    expect(second.socketPath).toBe(path.join(home, 'nhd.sock'));
    expect(fs.statSync(home).mode & 0o777).toBe(0o700);
    expect(fs.statSync(second.socketPath!).mode & 0o777).toBe(0o600);
    process.kill(first.pid, 'SIGTERM');
    await until(() => !alive(first.pid), 'the daemon exits on SIGTERM');
    expect(fs.existsSync(second.socketPath!)).toBe(false);
  });

  it('starts exactly one daemon when several CLI calls race', async () => {
    const env = nhdEnv(tempHome());
    const results = await Promise.all([1, 2, 3, 4].map(() => status(env)));
    expect(new Set(results.map((r) => r.pid)).size).toBe(1);
    process.kill(results[0]!.pid, 'SIGTERM');
  });

  it('replaces a daemon of another version', async () => {
    const home = tempHome();
    const old = await startSocketDaemon(home, [], { NHD_TEST_VERSION: '0.0.1-old' });
    const now = await status(nhdEnv(home));
    expect(now.version).not.toBe('0.0.1-old');
    expect(now.pid).not.toBe(old.process.pid);
    await until(() => old.process.exitCode !== null, 'the old daemon exits');
    process.kill(now.pid, 'SIGTERM');
  });

  it('stops when idle for --idle-timeout, and not while a client is connected', async () => {
    const daemon = await startSocketDaemon(tempHome(), ['--idle-timeout', '1']);
    const client = await connectSocketClient(daemon.socketPath);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(daemon.process.exitCode).toBeNull();
    client.dispose();
    await until(() => daemon.process.exitCode !== null, 'the idle daemon exits', 5000);
    expect(daemon.process.exitCode).toBe(0);
    expect(fs.existsSync(daemon.socketPath)).toBe(false);
  });

  it('recovers from a stale socket left by a killed daemon', async () => {
    const home = tempHome();
    const daemon = await startSocketDaemon(home);
    daemon.process.kill('SIGKILL');
    await until(() => daemon.process.exitCode !== null || daemon.process.signalCode !== null, 'the daemon dies');
    expect(fs.existsSync(daemon.socketPath)).toBe(true);
    expect(await canConnect(daemon.socketPath)).toBe(false);
    const now = await status(nhdEnv(home));
    expect(now.pid).not.toBe(daemon.process.pid);
    process.kill(now.pid, 'SIGTERM');
  });

  it('refuses a socket that belongs to another user', async () => {
    const home = tempHome();
    const daemon = await startSocketDaemon(home);
    fs.chownSync(daemon.socketPath, 65534, 65534);
    const result = await runCli(['status'], nhdEnv(home));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/nhd\.sock belongs to uid 65534, not to you \(uid 0\); refusing to connect/);
    await daemon.stop();
  });

  it('says why a daemon it started did not start, in its own words', async () => {
    const home = path.join(tempHome(), 'x'.repeat(100));
    const result = await runCli(['status'], nhdEnv(home));
    expect(result.code).toBe(1);
    const socketPath = path.join(home, 'nhd.sock');
    expect(result.stderr).toBe(
      `nhd: The nhd daemon did not start listening on ${socketPath}: the socket path ${socketPath} is longer than 107 bytes; set NHD_HOME to a shorter directory; see ${home}/logs/daemon.log.\n`,
    );
  });

  it('is reached by editors through `nhd serve --remote=auto`, a stdio forwarder', async () => {
    const home = tempHome();
    const forwarder = spawn(process.execPath, [NHD, 'serve', '--remote=auto'], { env: nhdEnv(home), stdio: ['pipe', 'pipe', 'inherit'] });
    const connection = createMessageConnection(new StreamMessageReader(forwarder.stdout), new StreamMessageWriter(forwarder.stdin));
    connection.listen();
    await connection.sendRequest('initialize', { processId: process.pid, clientInfo: { name: 'editor' }, rootUri: null, capabilities: {} });
    await connection.sendNotification('initialized', {});
    const viaForwarder = await connection.sendRequest(StatusRequest.type, {});
    expect(viaForwarder.mode).toBe('socket');
    expect(viaForwarder.clients.map((c) => c.name)).toEqual(['editor']);
    const fromCli = await status(nhdEnv(home));
    expect(fromCli.pid).toBe(viaForwarder.pid);
    expect(fromCli.clients.map((c) => c.name).sort()).toEqual(['editor', 'nhd-cli']);
    await connection.sendRequest('shutdown');
    await connection.sendNotification('exit');
    const code = await new Promise((resolve) => forwarder.once('exit', resolve));
    expect(code).toBe(0);
    process.kill(viaForwarder.pid, 'SIGTERM');
  });

  it('pushes nhd/status/didChange to every client when another connects', async () => {
    const daemon = await startSocketDaemon(tempHome());
    const a = await connectSocketClient(daemon.socketPath, 'a');
    const b = await connectSocketClient(daemon.socketPath, 'b');
    await until(
      () => a.notifications.some((n) => n.method === 'nhd/status/didChange' && (n.params as StatusResult).clients.some((c) => c.name === 'b')),
      'a hears that b connected',
    );
    b.dispose();
    await until(
      () => a.notifications.some((n) => n.method === 'nhd/status/didChange' && (n.params as StatusResult).clients.length === 1),
      'a hears that b left',
    );
    a.dispose();
    await daemon.stop();
  });
});
