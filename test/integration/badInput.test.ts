import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, RpcErrorCode, StatusRequest, TestSleepRequest } from '../../protocol';
import { NHD, RawClient, frame, nhdEnv, tempHome, until, type TestClient } from '../harness/daemon';
import { MODES, SHARED_MODES, type Env, type SharedEnv } from '../harness/modes';

async function initializedRaw(env: Env, name = 'raw'): Promise<RawClient> {
  const raw = await env.raw();
  raw.send({ id: 0, method: 'initialize', params: { processId: null, clientInfo: { name }, rootUri: null, capabilities: {} } });
  await raw.response(0);
  raw.send({ method: 'initialized', params: {} });
  return raw;
}

/**
 * Bad input on one connection, in every deployment mode: each gets a JSON-RPC error or a clean
 * close, and the connection keeps serving whenever the next frame can still be found.
 */
describe.each(Object.entries(MODES))('bad input %s', (_, startEnv) => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv();
  });
  afterAll(() => env.dispose());

  it('answers a malformed Content-Length with a parse error, then closes that connection', async () => {
    const raw = await initializedRaw(env);
    raw.write('Content-Length: twelve\r\n\r\n{"jsonrpc":"2.0"}');
    const error = await raw.response(null);
    expect(error['error']).toEqual({ code: RpcErrorCode.ParseError, message: 'Content-Length must be a non-negative integer, got "twelve".' });
    await until(() => raw.closed, 'the daemon closes the connection');
  });

  it('answers invalid JSON with a parse error and keeps the connection', async () => {
    const raw = await initializedRaw(env);
    raw.write(frame('{"jsonrpc":"2.0","id":1,"method":'));
    expect((await raw.response(null))['error']).toMatchObject({ code: RpcErrorCode.ParseError });
    raw.send({ id: 2, method: StatusRequest.method, params: {} });
    expect((await raw.response(2))['result']).toMatchObject({ mode: env.statusMode });
    expect(raw.closed).toBe(false);
  });

  it('answers an unknown method and invalid params', async () => {
    const raw = await initializedRaw(env);
    raw.send({ id: 3, method: 'nhd/does/not/exist', params: {} });
    expect((await raw.response(3))['error']).toMatchObject({ code: RpcErrorCode.MethodNotFound });
    raw.send({ id: 4, method: 'nhd/config/validate', params: { path: '' } });
    expect((await raw.response(4))['error']).toEqual({ code: RpcErrorCode.InvalidParams, message: 'params.path must be a non-empty string, got "".' });
    raw.send({ id: 5, method: 'nhd/config/validate', params: 'not an object' });
    expect((await raw.response(5))['error']).toMatchObject({ code: RpcErrorCode.InvalidParams });
    raw.send({ id: 6, method: 'nhd/status' });
    expect((await raw.response(6))['result']).toMatchObject({ mode: env.statusMode });
  });

  it('serves a 10 MB message and refuses one over the 16 MiB limit without losing the connection', async () => {
    const raw = await initializedRaw(env);
    const text = `# ${'x'.repeat(10 * 1024 * 1024)}\nname: big\nserviceType: deployment\ncontainers: []\n`;
    raw.send({ id: 7, method: 'nhd/config/validate', params: { path: '/tmp/big/.nocalhost/config.yaml', text } });
    const big = await raw.response(7);
    // The frame is served; the config inside is over the config's own size limit and says so.
    expect(big['error']).toBeUndefined();
    expect((big['result'] as { services: unknown[]; diagnostics: { code: string }[] }).diagnostics.map((d) => d.code)).toEqual(['config-too-large']);

    raw.write(frame(JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'nhd/status', params: { pad: 'y'.repeat(17 * 1024 * 1024) } })));
    const refused = await raw.response(null);
    expect(refused['error']).toMatchObject({ code: RpcErrorCode.InvalidRequest, message: expect.stringMatching(/exceeds the limit of 16777216 bytes/) });
    raw.send({ id: 9, method: 'nhd/status', params: {} });
    expect((await raw.response(9))['result']).toMatchObject({ mode: env.statusMode });
  });

  it('refuses params nested 100,000 deep with invalid params, names the limit, and keeps the connection', async () => {
    const raw = await initializedRaw(env);
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    raw.write(frame(`{"jsonrpc":"2.0","id":12,"method":"nhd/config/validate","params":{"path":${deep}}}`));
    expect((await raw.response(12))['error']).toEqual({
      code: RpcErrorCode.InvalidParams,
      message: "nhd/config/validate nests arrays and objects more than 64 levels deep, nhd's limit; it was not read. Send flatter params.",
    });
    raw.send({ id: 13, method: 'nhd/config/validate', params: { path: [[[[1]]]] } });
    expect((await raw.response(13))['error']).toEqual({ code: RpcErrorCode.InvalidParams, message: 'params.path must be a non-empty string, got [[[[1]]]].' });
    raw.send({ id: 14, method: 'nhd/status', params: {} });
    expect((await raw.response(14))['result']).toMatchObject({ mode: env.statusMode });
  });

  it('never answers a notification, whatever is wrong with it, and logs why it was dropped', async () => {
    const raw = await initializedRaw(env);
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    raw.send({ method: 'nhd/terminal/input', params: 7 });
    raw.write(frame(`{"jsonrpc":"2.0","method":"nhd/terminal/input","params":{"data":${deep}}}`));
    raw.write(frame('{"method":"initialized"}'));
    raw.send({ method: '$/cancelRequest' });
    raw.send({ method: '$/cancelRequest', params: null });
    raw.send({ method: 'textDocument/didOpen', params: {} });
    raw.send({ method: 'textDocument/didChange', params: { textDocument: { uri: 'file:///x/.nocalhost/config.yaml', version: 2 }, contentChanges: 'all' } });
    raw.send({ method: 'nhd/terminal/input', params: { terminalId: 7 } });
    raw.send({ method: 'nhd/no/such/notification', params: null });
    raw.send({ id: 20, method: 'nhd/status', params: null });
    const status = (await raw.response(20))['result'] as { logFile: string };
    // Only the two requests were answered: initialize (0) and nhd/status (20).
    expect(raw.received.map((m) => m['id'])).toEqual([0, 20]);
    const dropped = fs
      .readFileSync(status.logFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"rpc.badInput"'))
      .map((line) => (JSON.parse(line) as { message: string }).message);
    expect(dropped).toEqual(
      expect.arrayContaining([
        'params must be an object or an array.',
        "nhd/terminal/input nests arrays and objects more than 64 levels deep, nhd's limit; it was not read. Send flatter params.",
        'The message lacks "jsonrpc": "2.0".',
        '$/cancelRequest needs params.id, the id of the request to cancel (a string or a number).',
        'textDocument/didOpen: params.textDocument.uri must be a non-empty string, got nothing.',
        'textDocument/didChange: params.contentChanges must be an array, got "all".',
        'nhd/terminal/input: params.terminalId must be a non-empty string, got 7.',
      ]),
    );
  });

  it('accepts "params": null where LSP clients send it: shutdown, exit and methods whose params are optional', async () => {
    const raw = await initializedRaw(env);
    raw.send({ id: 21, method: 'nhd/status', params: null });
    expect((await raw.response(21))['result']).toMatchObject({ mode: env.statusMode });
    raw.send({ id: 22, method: 'shutdown', params: null });
    expect(await raw.response(22)).toEqual({ jsonrpc: '2.0', id: 22, result: null });
    raw.send({ method: 'exit', params: null });
    // exit ends the connection (and a stdio daemon's process); it is never answered.
    await until(() => raw.closed, 'exit ends the connection');
    expect(raw.received.map((m) => m['id'])).toEqual([0, 21, 22]);
  });

  it('refuses an initialize whose clientInfo is not a name, and takes a good one after it', async () => {
    const raw = await env.raw();
    raw.send({ id: 30, method: 'initialize', params: { processId: null, clientInfo: { name: { evil: true } }, rootUri: null, capabilities: {} } });
    expect((await raw.response(30))['error']).toEqual({ code: RpcErrorCode.InvalidParams, message: 'params.clientInfo.name must be a string of at most 256 characters, got {"evil":true}.' });
    raw.send({ id: 31, method: 'initialize', params: { clientInfo: { name: 'x'.repeat(257) }, capabilities: {} } });
    expect((await raw.response(31))['error']).toMatchObject({ code: RpcErrorCode.InvalidParams, message: expect.stringMatching(/^params\.clientInfo\.name must be a string of at most 256 characters/) });
    raw.send({ id: 32, method: 'initialize', params: { capabilities: { window: { workDoneProgress: 'yes' } } } });
    expect((await raw.response(32))['error']).toEqual({ code: RpcErrorCode.InvalidParams, message: 'params.capabilities.window.workDoneProgress must be true or false, got "yes".' });
    raw.send({ id: 33, method: 'initialize', params: { capabilities: {}, initializationOptions: { namespace: 5 } } });
    expect((await raw.response(33))['error']).toEqual({ code: RpcErrorCode.InvalidParams, message: 'params.initializationOptions.namespace must be a string, got 5.' });
    raw.send({ id: 34, method: 'nhd/status', params: {} });
    expect((await raw.response(34))['error']).toMatchObject({ code: RpcErrorCode.ServerNotInitialized });
    raw.send({ id: 35, method: 'initialize', params: { processId: null, clientInfo: { name: 'second try' }, rootUri: null, capabilities: {}, initializationOptions: { kubeconfig: '', namespace: '' } } });
    expect((await raw.response(35))['result']).toBeDefined();
    raw.send({ id: 36, method: 'nhd/status', params: {} });
    expect(((await raw.response(36))['result'] as { clients: { name: string }[] }).clients.map((c) => c.name)).toContain('second try');
    raw.close();
  });

  it('refuses requests before initialize', async () => {
    const raw = await env.raw();
    raw.send({ id: 11, method: 'nhd/status', params: {} });
    expect((await raw.response(11))['error']).toMatchObject({ code: RpcErrorCode.ServerNotInitialized });
    raw.close();
  });
});

/** Where clients share a daemon, one client's bad input or departure never reaches another. */
describe.each(Object.entries(SHARED_MODES))('bad input %s, with a bystander', (_, startEnv) => {
  let env: SharedEnv;
  let bystander: TestClient;
  beforeAll(async () => {
    env = await startEnv();
    bystander = await env.client('bystander');
  });
  afterAll(() => env.dispose());

  async function bystanderStillServed(): Promise<void> {
    const status = await bystander.connection.sendRequest(StatusRequest.type, {});
    expect(status.clients.map((c) => c.name)).toContain('bystander');
  }

  it('keeps serving the bystander while other connections send invalid JSON, a fatal header and an oversize message', async () => {
    const invalid = await initializedRaw(env);
    invalid.write(frame('{"jsonrpc":"2.0","id":1,"method":'));
    expect((await invalid.response(null))['error']).toMatchObject({ code: RpcErrorCode.ParseError });
    await bystanderStillServed();
    const fatal = await initializedRaw(env);
    fatal.write('Content-Length: twelve\r\n\r\n{"jsonrpc":"2.0"}');
    await until(() => fatal.closed, 'the daemon closes the bad connection');
    await bystanderStillServed();
    const big = await initializedRaw(env);
    big.write(frame(JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'nhd/status', params: { pad: 'y'.repeat(17 * 1024 * 1024) } })));
    expect((await big.response(null))['error']).toMatchObject({ code: RpcErrorCode.InvalidRequest });
    await bystanderStillServed();
  });

  it('keeps nhd/status whole for the bystander when another client sends a clientInfo that is an object or nested 10,000 deep', async () => {
    const bad = await env.raw();
    bad.send({ id: 1, method: 'initialize', params: { clientInfo: { name: { evil: true } }, capabilities: {} } });
    expect((await bad.response(1))['error']).toMatchObject({ code: RpcErrorCode.InvalidParams });
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    bad.write(frame(`{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"clientInfo":{"name":${deep}},"capabilities":{}}}`));
    expect((await bad.response(2))['error']).toMatchObject({ code: RpcErrorCode.InvalidParams, message: expect.stringMatching(/^initialize nests arrays and objects more than 64 levels deep/) });
    const status = await bystander.connection.sendRequest(StatusRequest.type, {});
    for (const c of status.clients) expect(typeof c.name, JSON.stringify(c)).toBe('string');
    await bystanderStillServed();
    bad.close();
  });

  it('keeps serving the bystander while another connection sends 100,000-deep params', async () => {
    const deepSender = await initializedRaw(env);
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    deepSender.write(frame(`{"jsonrpc":"2.0","id":3,"method":"nhd/config/validate","params":{"path":${deep}}}`));
    expect((await deepSender.response(3))['error']).toMatchObject({ code: RpcErrorCode.InvalidParams });
    await bystanderStillServed();
  });

  it('ends only the sender’s connection on exit, after shutdown or without', async () => {
    for (const withShutdown of [true, false]) {
      const leaving = await initializedRaw(env, 'leaving');
      const leavingConnected = async () => (await bystander.connection.sendRequest(StatusRequest.type, {})).clients.some((c) => c.name === 'leaving');
      await until(leavingConnected, 'the leaving client is connected');
      if (withShutdown) {
        leaving.send({ id: 4, method: 'shutdown', params: null });
        await leaving.response(4);
      }
      leaving.send({ method: 'exit', params: null });
      await until(() => leaving.closed, 'the daemon closes the connection on exit');
      await until(async () => !(await leavingConnected()), 'the daemon forgets the client');
      await bystanderStillServed();
    }
  });

  it('cancels the work of a client that disconnects mid-request and keeps serving the others', async () => {
    const raw = await initializedRaw(env, 'sleeper');
    raw.send({ id: 10, method: TestSleepRequest.method, params: { ms: 60_000 } });
    const sleeperConnected = async () => (await bystander.connection.sendRequest(StatusRequest.type, {})).clients.some((c) => c.name === 'sleeper');
    await until(sleeperConnected, 'the sleeper is connected');
    raw.close();
    await until(async () => !(await sleeperConnected()), 'the daemon notices the disconnect');
    await bystanderStillServed();
  });
});

describe('error codes', () => {
  it('keeps its error codes stable', () => {
    expect(ErrorCode).toMatchInlineSnapshot(`
      {
        "AppNotFound": 1111,
        "ConfigInvalid": 1502,
        "ConfigNotFound": 1501,
        "ContainerNotFound": 1107,
        "DaemonStopping": 1001,
        "DebugAttachFailed": 1403,
        "DebugAttachInvalid": 1402,
        "DebugLanguageUnsupported": 1404,
        "DebuggerUnreachable": 1401,
        "DevImageMissing": 1108,
        "DevModeOwnedByOther": 1102,
        "DevPodFailed": 1103,
        "DevPodTimeout": 1104,
        "FileNotReadable": 1503,
        "Internal": 1000,
        "KubeApi": 1105,
        "KubeUnreachable": 1106,
        "ManifestInvalid": 1112,
        "NotInDevMode": 1114,
        "PodNotRunning": 1113,
        "PortInUse": 1110,
        "RunCommandMissing": 1301,
        "SyncFailed": 1201,
        "UnknownHandle": 1109,
        "WorkloadNotFound": 1101,
      }
    `);
  });
});

describe('bad input to a stdio daemon', () => {
  it('answers a malformed header with a parse error and exits cleanly', async () => {
    const child = spawn(process.execPath, [NHD, 'serve'], { env: nhdEnv(tempHome()), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stdin.write('Content-Length: 1x\r\n\r\n{}');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(out).toMatch(/^Content-Length: \d+\r\n\r\n\{"jsonrpc":"2.0","id":null,"error":\{"code":-32700,"message":"Content-Length must be a non-negative integer, got \\"1x\\"."\}\}$/);
  });
});
