import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { afterAll, describe, expect, it } from 'vitest';
import type { DebugLanguage } from '../server/ports';
import { breakLine, freePort, prepareFixture, SocketDebugClient, startProxyServer, waitForListen, type Debuggee } from '../test/harness/debuggers';
import { record } from './support';

/**
 * The DAP proxy's attach and re-attach times against real delve and debugpy on this machine (no
 * cluster: the port-forward's latency is not in these numbers).
 *
 * - attach: the IDE's attach request until it is ready to stop (breakpoint verified,
 *   configurationDone and attach answered), through the proxy. Baseline: the same sequence sent
 *   straight to the debugger, which is what the proxy adds to.
 * - re-attach: from killing the debugger and its program (a hot reload's restart) until the proxy
 *   has reattached the open IDE session to the new debugger (breakpoints replayed,
 *   configurationDone answered). Includes the new debugger's start. Baseline: the same restart
 *   followed by a fresh direct attach, what an IDE would do by hand.
 */
const RUNS = Number(process.env['NHD_BENCH_RUNS'] ?? 7);
const LANGUAGES: DebugLanguage[] = ['go', 'python'];
const TOOL: Record<DebugLanguage, string> = { go: 'delve', python: 'debugpy' };

describe('DAP proxy attach benchmark', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it.each(LANGUAGES)(`attach and re-attach with %s, ${RUNS} runs each`, async (language) => {
    const fixture = prepareFixture(language);
    cleanups.push(() => fixture.dispose());
    const proxy = await startProxyServer();
    cleanups.push(() => proxy.close());
    const file = path.join(fixture.localRoot, fixture.files.greet);
    const line = breakLine(file, 'greet');
    const remoteFile = path.join(fixture.remoteRoot, fixture.files.greet);

    const attaches: number[] = [];
    const directAttaches: number[] = [];
    const reattaches: number[] = [];
    const directReattaches: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Through the proxy: attach, then a restart under the open session.
      {
        const debugPort = await freePort();
        const appPort = await freePort();
        let debuggee: Debuggee = await fixture.start(debugPort, appPort);
        await waitForListen(debugPort); // the debugger's start is not the attach's
        const dc = new SocketDebugClient();
        await dc.connectTo(proxy.port);
        try {
          await dc.initializeRequest({ adapterID: 'nhd', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
          const started = performance.now();
          await configure(dc, { language, port: debugPort, localRoot: fixture.localRoot, remoteRoot: fixture.remoteRoot }, file, line, language);
          attaches.push(performance.now() - started);

          const before = dc.outputs.length;
          const restart = performance.now();
          await debuggee.kill();
          debuggee = await fixture.start(debugPort, appPort);
          const reattached = /reattached to the restarted debugger/;
          for (;;) {
            if (dc.outputs.slice(before).some((o) => reattached.test(o))) break;
            if (performance.now() - restart > 30_000) throw new Error(`no reattach:\n${dc.outputs.join('')}`);
            await new Promise((r) => setTimeout(r, 1));
          }
          reattaches.push(performance.now() - restart);
          await dc.disconnectRequest({});
        } finally {
          dc.close();
          await debuggee.kill();
        }
      }
      // Straight to the debugger, the same sequence with its own paths: attach, restart, attach.
      {
        const debugPort = await freePort();
        const appPort = await freePort();
        let debuggee: Debuggee = await fixture.start(debugPort, appPort);
        await waitForListen(debugPort);
        try {
          const started = performance.now();
          let dc = await directClient(debugPort);
          await dc.initializeRequest({ adapterID: language, linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
          await configure(dc, direct(language), remoteFile, line, language);
          directAttaches.push(performance.now() - started);
          dc.close();

          const restart = performance.now();
          await debuggee.kill();
          debuggee = await fixture.start(debugPort, appPort);
          dc = await directClient(debugPort);
          await dc.initializeRequest({ adapterID: language, linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
          await configure(dc, direct(language), remoteFile, line, language);
          directReattaches.push(performance.now() - restart);
          dc.close();
        } finally {
          await debuggee.kill();
        }
      }
    }
    record({
      name: `dap attach (${TOOL[language]})`,
      measures: 'attach request through the proxy until ready to stop (breakpoint verified, configurationDone and attach answered)',
      unit: 'ms',
      samples: attaches.map(round),
      baseline: { name: `direct ${TOOL[language]} attach`, measures: 'connect, initialize and the same sequence sent straight to the debugger, with its own paths (the proxy connects and initializes the debugger during attach)', samples: directAttaches.map(round) },
    });
    record({
      name: `dap re-attach (${TOOL[language]})`,
      measures: 'kill debugger and program, start new ones, until the proxy has reattached the open IDE session (breakpoints replayed, configurationDone answered)',
      unit: 'ms',
      samples: reattaches.map(round),
      baseline: { name: `restart + direct ${TOOL[language]} attach`, measures: 'the same restart, then a new client attaching straight to the debugger as an IDE would by hand', samples: directReattaches.map(round) },
    });
    expect(attaches).toHaveLength(RUNS);
  });
});

/** The IDE's configuration sequence: attach, initialized, setBreakpoints (verified), configurationDone, attach answered. */
async function configure(dc: SocketDebugClient, attachArgs: Record<string, unknown>, file: string, line: number, language: DebugLanguage): Promise<void> {
  const initialized = dc.waitForEvent('initialized', 30_000);
  const attached = dc.attachRequest(attachArgs as DebugProtocol.AttachRequestArguments);
  await initialized;
  const bps = await dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [{ line }] });
  if (!bps.body.breakpoints[0]?.verified) throw new Error(`breakpoint not verified: ${JSON.stringify(bps.body)}`);
  if (language === 'python') await dc.setExceptionBreakpointsRequest({ filters: [] });
  await dc.configurationDoneRequest();
  await attached;
}

function direct(language: DebugLanguage): Record<string, unknown> {
  return language === 'go' ? { request: 'attach', mode: 'remote' } : { request: 'attach', justMyCode: true };
}

/** A DebugClient straight on the debugger's port, retried until it listens (its start is timed). */
async function directClient(port: number): Promise<SocketDebugClient> {
  for (let i = 0; ; i++) {
    const dc = new SocketDebugClient();
    try {
      await dc.connectTo(port);
      return dc;
    } catch (error) {
      if (i > 3000) throw error;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
