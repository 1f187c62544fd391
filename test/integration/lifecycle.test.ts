import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Commands,
  ConfigValidateRequest,
  ErrorCode,
  PROTOCOL_VERSION,
  RpcErrorCode,
  StatusRequest,
  type StatusResult,
} from '../../protocol';
import { NHD, RawClient, REPO, nhdEnv, startStdioDaemon, tempHome, type TestClient } from '../harness/daemon';
import { MODES, type Env } from '../harness/modes';

const BOOKINFO = path.join(REPO, 'test/fixtures/nocalhost-configs/bookinfo/.nocalhost/config.yaml');

/** The same checks in every deployment mode (test/harness/modes.ts). */
describe.each(Object.entries(MODES))('lifecycle %s', (_, startEnv) => {
  let env: Env;
  let client: TestClient;
  const start = async () => {
    env = await startEnv();
    return env.client('lifecycle-test');
  };
  afterEach(async () => {
    client?.dispose();
    await env?.dispose();
  });

  it('returns serverInfo, the protocol version and every command in initialize', async () => {
    client = await start();
    const { capabilities, serverInfo } = client.initializeResult;
    expect(serverInfo?.name).toBe('nhd');
    expect(capabilities.experimental?.nhd?.protocolVersion).toBe(PROTOCOL_VERSION);
    expect(capabilities.experimental?.nhd?.daemonVersion).toBe(serverInfo?.version);
    const served = capabilities.experimental?.nhd?.methods ?? [];
    const expected = Object.entries(Commands).filter(([, method]) => served.includes(method)).map(([id]) => id);
    expect(expected).toEqual(expect.arrayContaining(['nhd.status', 'nhd.config.validate', 'nhd.config.load', 'nhd.daemon.stop', 'nhd.test.sleep']));
    expect(capabilities.executeCommandProvider?.commands).toEqual(expected);
    expect(capabilities['hoverProvider']).toBe(true);
  });

  it('serves nhd/status as a request and as a command, with the same result', async () => {
    client = await start();
    const viaRequest = await client.connection.sendRequest(StatusRequest.type, {});
    const viaCommand = (await client.connection.sendRequest('workspace/executeCommand', { command: 'nhd.status', arguments: [] })) as StatusResult;
    expect(viaRequest.mode).toBe(env.statusMode);
    expect(viaRequest.clients.map((c) => c.name)).toContain('lifecycle-test');
    expect({ ...viaCommand, uptimeMs: 0 }).toEqual({ ...viaRequest, uptimeMs: 0 });
    expect(fs.existsSync(viaRequest.logFile)).toBe(true);
  });

  it('validates a config through nhd/config/validate and nhd.config.validate', async () => {
    client = await start();
    const viaRequest = await client.connection.sendRequest(ConfigValidateRequest.type, { path: BOOKINFO });
    expect(viaRequest.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(viaRequest.services.map((s) => s.name)).toContain('productpage');
    const viaCommand = await client.connection.sendRequest('workspace/executeCommand', { command: 'nhd.config.validate', arguments: [{ path: BOOKINFO }] });
    expect(viaCommand).toEqual(viaRequest);
  });

  it('answers an unknown method, invalid params and an unknown command with JSON-RPC errors and keeps serving', async () => {
    client = await start();
    await expect(client.connection.sendRequest('nhd/no/such', {})).rejects.toMatchObject({ code: RpcErrorCode.MethodNotFound });
    await expect(client.connection.sendRequest(ConfigValidateRequest.method, { path: 42 })).rejects.toMatchObject({
      code: RpcErrorCode.InvalidParams,
      message: 'params.path must be a non-empty string, got 42.',
    });
    await expect(client.connection.sendRequest('workspace/executeCommand', { command: 'nhd.nope' })).rejects.toMatchObject({ code: RpcErrorCode.InvalidParams });
    await expect(client.connection.sendRequest(ConfigValidateRequest.type, { path: '/nonexistent/config.yaml' })).rejects.toMatchObject({
      code: ErrorCode.FileNotReadable,
      message: 'Cannot read /nonexistent/config.yaml: no such file.',
    });
    expect((await client.connection.sendRequest(StatusRequest.type, {})).pid).toBeGreaterThan(0);
  });

  it('refuses a second initialize and anything after shutdown', async () => {
    client = await start();
    await expect(client.connection.sendRequest('initialize', { processId: null, rootUri: null, capabilities: {} })).rejects.toMatchObject({ code: RpcErrorCode.InvalidRequest });
    await client.connection.sendRequest('shutdown');
    await expect(client.connection.sendRequest(StatusRequest.type, {})).rejects.toMatchObject({ code: RpcErrorCode.InvalidRequest });
  });
});

describe('lifecycle over stdio', () => {
  it('exits 0 on shutdown then exit, and 1 on exit without shutdown', async () => {
    for (const [withShutdown, code] of [[true, 0], [false, 1]] as const) {
      const client = await startStdioDaemon(tempHome());
      const exited = new Promise((resolve) => client.process.once('exit', resolve));
      if (withShutdown) await client.connection.sendRequest('shutdown');
      await client.connection.sendNotification('exit');
      expect(await exited).toBe(code);
      client.dispose();
    }
  });

  it('exits the same way when shutdown and exit carry "params": null, as eglot sends them', async () => {
    for (const [withShutdown, code] of [[true, 0], [false, 1]] as const) {
      const child = spawn(process.execPath, [NHD, 'serve'], { env: nhdEnv(tempHome()), stdio: ['pipe', 'pipe', 'pipe'] });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const raw = new RawClient(child.stdout, child.stdin, () => child.kill());
      raw.send({ id: 0, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
      await raw.response(0);
      raw.send({ method: 'initialized', params: null });
      if (withShutdown) {
        raw.send({ id: 1, method: 'shutdown', params: null });
        expect((await raw.response(1))['result']).toBeNull();
      }
      raw.send({ method: 'exit', params: null });
      expect(await exited).toBe(code);
      // No answer to the exit notification, not even an error.
      expect(raw.received.map((m) => m['id'])).toEqual(withShutdown ? [0, 1] : [0]);
    }
  });

  it('writes nothing but protocol to stdout and logs to the state directory', async () => {
    const home = tempHome();
    const client = await startStdioDaemon(home);
    await client.connection.sendRequest(StatusRequest.type, {});
    client.dispose();
    const log = fs.readFileSync(path.join(home, 'logs/daemon.log'), 'utf8');
    expect(log).toContain('"message":"serving stdio"');
    for (const line of log.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });
});
