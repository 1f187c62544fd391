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
import { REPO, connectSocketClient, startSocketDaemon, startStdioDaemon, tempHome, type TestClient } from '../harness/daemon';

const BOOKINFO = path.join(REPO, 'test/fixtures/nocalhost-configs/bookinfo/.nocalhost/config.yaml');

/** The same checks over both transports: one editor on stdio, and a client of the shared daemon. */
const modes = {
  stdio: async () => startStdioDaemon(tempHome()),
  socket: async () => {
    const daemon = await startSocketDaemon(tempHome());
    const client = await connectSocketClient(daemon.socketPath);
    return { ...client, dispose: () => { client.dispose(); void daemon.stop(); } };
  },
};

describe.each(Object.entries(modes))('lifecycle over %s', (mode, start) => {
  let client: TestClient;
  afterEach(() => client?.dispose());

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
    expect(viaRequest.mode).toBe(mode);
    expect(viaRequest.clients.map((c) => c.name)).toContain(mode === 'stdio' ? 'stdio-test' : 'socket-test');
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
