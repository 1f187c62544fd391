import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DebugLanguage } from '../../server/ports';
import {
  breakLine,
  freePort,
  prepareFixture,
  SocketDebugClient,
  startProxyServer,
  waitForPort,
  type Debuggee,
  type DebugFixture,
} from '../harness/debuggers';

/**
 * The DAP proxy (server/debug on adapters/dap) against real delve and debugpy, no cluster: the
 * program runs from a copy of its source in a temporary folder (the "remote" tree) while the IDE
 * (testsupport's DebugClient) knows only the checkout's copy, so every path the IDE sees has been
 * mapped. The proxy runs in this process on a 127.0.0.1 socket (see startProxyServer).
 */

const LANGUAGES: DebugLanguage[] = ['go', 'python'];

describe.each(LANGUAGES)('the DAP proxy with %s', (language) => {
  let fixture: DebugFixture;
  let proxy: Awaited<ReturnType<typeof startProxyServer>>;
  beforeAll(async () => {
    fixture = prepareFixture(language);
    proxy = await startProxyServer();
  }, 120_000);
  afterAll(async () => {
    await proxy?.close();
    fixture?.dispose();
  });

  /** A debuggee on fresh ports and an IDE attached to it through the proxy, breakpoints set. */
  async function attach(breakpoints: { file: string; line: number }[]) {
    const debugPort = await freePort();
    const appPort = await freePort();
    const debuggee = { current: await fixture.start(debugPort, appPort) as Debuggee };
    const dc = new SocketDebugClient();
    await dc.connectTo(proxy.port);
    const initializedEvents: unknown[] = [];
    dc.on('initialized', (e) => initializedEvents.push(e));
    const init = await dc.initializeRequest({ adapterID: 'nhd', clientID: 'vitest', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    expect(init.body?.supportsConfigurationDoneRequest).toBe(true);
    const capabilities = dc.waitForEvent('capabilities', 30_000);
    const initialized = dc.waitForEvent('initialized', 30_000);
    const attached = dc.attachRequest({ language, port: debugPort, localRoot: fixture.localRoot, remoteRoot: fixture.remoteRoot } as DebugProtocol.AttachRequestArguments);
    await capabilities;
    await initialized;
    const ids: number[] = [];
    for (const { file, line } of breakpoints) {
      const response = await dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [{ line }] });
      const [bp] = response.body.breakpoints;
      expect(bp, JSON.stringify(response.body)).toMatchObject({ verified: true, line, source: { path: file } });
      ids.push(bp!.id!);
    }
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    await dc.configurationDoneRequest();
    await attached;
    await waitForPort(appPort);
    return { dc, debugPort, appPort, debuggee, ids, initializedEvents };
  }

  function request(appPort: number, name: string): Promise<string> {
    return fetch(`http://127.0.0.1:${appPort}/?name=${name}`).then((r) => r.text());
  }

  it('attaches, verifies a breakpoint, stops with local paths, shows variables, steps, continues and disconnects', async () => {
    const handler = path.join(fixture.localRoot, fixture.files.handler);
    const greet = path.join(fixture.localRoot, fixture.files.greet);
    const line = breakLine(handler, 'handler');
    const { dc, appPort, debuggee } = await attach([{ file: handler, line }]);
    try {
      const stopped = dc.waitForEvent('stopped', 20_000) as Promise<DebugProtocol.StoppedEvent>;
      const reply = request(appPort, 'nhd');
      const event = await stopped;
      expect(event.body.reason).toBe('breakpoint');
      const threadId = event.body.threadId!;

      const trace = await dc.stackTraceRequest({ threadId });
      const top = trace.body.stackFrames[0]!;
      expect(top.source?.path).toBe(handler);
      expect(top.line).toBe(line);
      expect(JSON.stringify(trace.body)).not.toContain(fixture.remoteRoot);

      const scopes = await dc.scopesRequest({ frameId: top.id });
      const locals = scopes.body.scopes.find((s) => /local/i.test(s.name)) ?? scopes.body.scopes[0]!;
      const variables = await dc.variablesRequest({ variablesReference: locals.variablesReference });
      const name = variables.body.variables.find((v) => v.name === 'name');
      expect(name?.value, JSON.stringify(variables.body.variables)).toContain('nhd');

      // Into greet (another file for Python): the step's stop is mapped too.
      const stepped = dc.waitForEvent('stopped', 20_000) as Promise<DebugProtocol.StoppedEvent>;
      await dc.stepInRequest({ threadId });
      expect((await stepped).body.reason).toBe('step');
      const inGreet = (await dc.stackTraceRequest({ threadId })).body.stackFrames[0]!;
      expect(inGreet.source?.path).toBe(greet);
      expect([breakLine(greet, 'greet') - 1, breakLine(greet, 'greet')]).toContain(inGreet.line);

      await dc.continueRequest({ threadId });
      expect(await reply).toBe('hello, nhd\n');

      await dc.disconnectRequest({});
      // An attach leaves the program running when it ends.
      expect(await request(appPort, 'again')).toBe('hello, again\n');

      // Toward the IDE, seq only grows, across every message.
      const seqs = dc.received.map((m) => m.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
    } finally {
      dc.close();
      await debuggee.current.kill();
    }
  });

  it('keeps the IDE session across a restart of the debuggee: the same breakpoint stops again, no new attach', async () => {
    const greet = path.join(fixture.localRoot, fixture.files.greet);
    const line = breakLine(greet, 'greet');
    const { dc, debugPort, appPort, debuggee, ids, initializedEvents } = await attach([{ file: greet, line }]);
    try {
      const first = dc.waitForEvent('stopped', 20_000) as Promise<DebugProtocol.StoppedEvent>;
      const reply = request(appPort, 'one');
      const firstStop = await first;
      expect((await dc.stackTraceRequest({ threadId: firstStop.body.threadId! })).body.stackFrames[0]).toMatchObject({ line, source: { path: greet } });
      await dc.continueRequest({ threadId: firstStop.body.threadId! });
      expect(await reply).toBe('hello, one\n');

      // A hot reload: the debugger and its program die, new ones start on the same ports.
      const terminated: unknown[] = [];
      dc.on('terminated', (e) => terminated.push(e));
      await debuggee.current.kill();
      debuggee.current = await fixture.start(debugPort, appPort);
      await dc.waitForOutput(/reattached to the restarted debugger/, 30_000);
      await waitForPort(appPort);

      const second = dc.waitForEvent('stopped', 20_000) as Promise<DebugProtocol.StoppedEvent>;
      const reply2 = request(appPort, 'two');
      const secondStop = await second;
      expect(secondStop.body.reason).toBe('breakpoint');
      // delve and debugpy both say which breakpoint stopped them; the id is the one the IDE was given.
      expect(secondStop.body.hitBreakpointIds).toEqual(ids);
      const frames = (await dc.stackTraceRequest({ threadId: secondStop.body.threadId! })).body.stackFrames;
      expect(frames[0]).toMatchObject({ line, source: { path: greet } });
      await dc.continueRequest({ threadId: secondStop.body.threadId! });
      expect(await reply2).toBe('hello, two\n');

      expect(initializedEvents).toHaveLength(1);
      expect(terminated).toHaveLength(0);
      const seqs = dc.received.map((m) => m.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      await dc.disconnectRequest({});
    } finally {
      dc.close();
      await debuggee.current.kill();
    }
  });

  it('says where it looked and what to check when no debugger answers', async () => {
    const port = await freePort();
    const dc = new SocketDebugClient();
    await dc.connectTo(proxy.port);
    try {
      await dc.initializeRequest();
      const started = Date.now();
      const error = await dc
        .attachRequest({ language, port, localRoot: fixture.localRoot, remoteRoot: fixture.remoteRoot, readyTimeoutMs: 1_000 } as DebugProtocol.AttachRequestArguments)
        .then(() => undefined, (e: Error) => e);
      expect(error?.message).toMatch(new RegExp(`No ${language === 'go' ? 'delve' : 'debugpy'} answered at 127\\.0\\.0\\.1:${port} within 1 s`));
      expect(error?.message).toContain('remoteDebugPort');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      dc.close();
    }
  });

  it('takes a launch request as an attach (LSP4IJ launches executable adapters)', async () => {
    const port = await freePort();
    const dc = new SocketDebugClient();
    await dc.connectTo(proxy.port);
    try {
      await dc.initializeRequest();
      const error = await dc
        .launchRequest({ request: 'attach', language, port, localRoot: fixture.localRoot, remoteRoot: fixture.remoteRoot, readyTimeoutMs: 1_000 } as DebugProtocol.LaunchRequestArguments)
        .then(() => undefined, (e: Error) => e);
      // It went looking for the debugger, as an attach does, rather than refusing the request.
      expect(error?.message).toMatch(new RegExp(`No ${language === 'go' ? 'delve' : 'debugpy'} answered at 127\\.0\\.0\\.1:${port} within 1 s`));
    } finally {
      dc.close();
    }
  });
});

describe('the DAP proxy when the IDE vanishes', () => {
  it('detaches from delve as a disconnect would: the program keeps serving and stops on nothing', async () => {
    const fixture = prepareFixture('go');
    const proxy = await startProxyServer();
    const debugPort = await freePort();
    const appPort = await freePort();
    const debuggee = await fixture.start(debugPort, appPort);
    const dc = new SocketDebugClient();
    try {
      await dc.connectTo(proxy.port);
      await dc.initializeRequest();
      const initialized = dc.waitForEvent('initialized', 30_000);
      const attached = dc.attachRequest({ language: 'go', port: debugPort, localRoot: fixture.localRoot, remoteRoot: fixture.remoteRoot } as DebugProtocol.AttachRequestArguments);
      await initialized;
      const file = path.join(fixture.localRoot, fixture.files.handler);
      await dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [{ line: breakLine(file, 'handler') }] });
      await dc.configurationDoneRequest();
      await attached;
      await waitForPort(appPort);
      dc.close(); // no disconnect request
      await proxy.proxies[0]!.ended;
      const reply = await fetch(`http://127.0.0.1:${appPort}/?name=later`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.text());
      expect(reply).toBe('hello, later\n');
    } finally {
      dc.close();
      await debuggee.kill();
      await proxy.close();
      fixture.dispose();
    }
  });
});
