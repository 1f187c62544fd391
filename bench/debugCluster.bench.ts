import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NHD, REPO, tempHome } from '../test/harness/daemon';
import { createNamespace, kubectl, nhdCli, waitRollout } from '../test/e2e/support';
import { record } from './support';

/**
 * Debugging on the local cluster through `nhd dap`, with bookinfo-lite's authors (Go, delve) and
 * details (Python, debugpy) in dev mode:
 *
 * - attach: the IDE's attach request until it is ready to stop (breakpoint verified,
 *   configurationDone and attach answered). Dev mode and sync are on; the attach starts
 *   command.debug (for Go, `dlv debug` builds the program, with a warm build cache after the first
 *   run), port-forwards the debug port and waits for the debugger.
 * - re-attach: from saving a file (hot reload) until the open session is reattached to the new
 *   debugger (sync, stop of the old debugger tree, start, readiness, breakpoints replayed).
 *   Baseline: the same reload's own part (the run service's sync + stop + start), so the ratio
 *   shows what the debugger's start and the reattach add.
 */
const RUNS = Number(process.env['NHD_BENCH_RUNS'] ?? 5);
const FIXTURE = path.join(REPO, 'test/fixtures/bookinfo-lite');
const SERVICES = [
  { service: 'authors', language: 'go', tool: 'delve', image: 'docker.io/nhd/dev-go:v1', file: 'main.go', marker: 'log.Printf("%s %s from %s"', ignore: ['.git'] },
  { service: 'details', language: 'python', tool: 'debugpy', image: 'docker.io/nhd/dev-python:v1', file: 'details.py', marker: 'if self.path == "/health":', ignore: ['.git', '__pycache__', '*.pyc'] },
] as const;

class NhdDapClient extends DebugClient {
  child: ChildProcess | undefined;
  readonly outputs: string[] = [];
  constructor() {
    super('node', '', 'nhd');
    this.defaultTimeout = 60_000;
    this.on('output', (e: DebugProtocol.OutputEvent) => this.outputs.push(e.body.output));
  }
  launchDap(env: NodeJS.ProcessEnv): void {
    const child = spawn(process.execPath, [NHD, 'dap'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    this.connect(child.stdout!, child.stdin!);
  }
}

describe('debugging on the cluster', () => {
  const cli = nhdCli('bench@nhd-test');
  let ns: ReturnType<typeof createNamespace>;
  beforeAll(async () => {
    ns = createNamespace('nhd-bench-debug');
    for (const { service } of SERVICES) kubectl(['apply', '-n', ns.name, '-f', path.join(FIXTURE, 'manifests', `${service}.yaml`)]);
    for (const { service } of SERVICES) waitRollout(ns.name, 'deployment', service);
  });
  afterAll(async () => {
    if (ns) for (const { service } of SERVICES) await cli.run(['dev', 'end', `deployment/${service}`, '-n', ns.name]);
    cli.stop();
    ns?.dispose();
  });

  it.each(SERVICES)(`attach and re-attach after a hot reload: $service ($tool), ${RUNS} runs`, async ({ service, language, tool, image, file, marker, ignore }) => {
    const local = tempHome();
    for (const f of fs.readdirSync(path.join(FIXTURE, service))) fs.copyFileSync(path.join(FIXTURE, service, f), path.join(local, f));
    for (const f of ['run.sh', 'debug.sh']) fs.chmodSync(path.join(local, f), 0o755);
    fs.mkdirSync(path.join(local, '.nocalhost'));
    fs.writeFileSync(
      path.join(local, '.nocalhost', 'config.yaml'),
      `name: ${service}\nserviceType: deployment\ncontainers:\n  - name: ${service}\n    dev:\n      image: ${image}\n      workDir: /home/nocalhost-dev\n      command:\n        run: ["./run.sh"]\n        debug: ["./debug.sh"]\n      debug:\n        remoteDebugPort: 9009\n        language: ${language}\n      hotReload: true\n      sync:\n        type: send\n        ignoreFilePattern: ${JSON.stringify(ignore)}\n`,
    );
    const started = await cli.run(['dev', 'start', `deployment/${service}`, '-n', ns.name, '--local-dir', local, '--json']);
    expect(started.code, started.stderr).toBe(0);
    const source = path.join(local, file);
    const line = fs.readFileSync(source, 'utf8').split('\n').findIndex((l) => l.includes(marker)) + 1;
    const comment = language === 'go' ? '//' : '#';

    const attaches: number[] = [];
    const reattaches: number[] = [];
    const reloads: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const dc = new NhdDapClient();
      dc.launchDap(cli.env);
      try {
        await dc.initializeRequest({ adapterID: 'nhd', clientID: 'bench', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
        const began = performance.now();
        const initialized = dc.waitForEvent('initialized', 300_000);
        const attached = dc.attachRequest({ workload: `deployment/${service}`, namespace: ns.name } as DebugProtocol.AttachRequestArguments);
        await initialized;
        const bps = await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line }] });
        if (!bps.body.breakpoints[0]?.verified) throw new Error(`breakpoint not verified: ${JSON.stringify(bps.body)}`);
        await dc.setExceptionBreakpointsRequest({ filters: [] });
        await dc.configurationDoneRequest();
        await attached;
        attaches.push(performance.now() - began);

        const before = dc.outputs.length;
        const saved = performance.now();
        fs.appendFileSync(source, `\n${comment} bench edit ${i}\n`);
        for (;;) {
          const reattached = dc.outputs.slice(before).find((o) => /reattached to the restarted debugger/.test(o));
          if (reattached) break;
          if (performance.now() - saved > 300_000) throw new Error(`no reattach:\n${dc.outputs.join('')}`);
          await new Promise((r) => setTimeout(r, 2));
        }
        reattaches.push(performance.now() - saved);
        reloads.push(lastReload(cli.home));
        await dc.disconnectRequest({});
      } finally {
        await dc.stop().catch(() => {});
        dc.child?.kill();
      }
    }
    record({
      name: `cluster dap attach (${tool})`,
      measures: 'attach request through `nhd dap` until ready to stop (dev mode on; command.debug started by the attach, port-forward, readiness, breakpoint verified, configurationDone and attach answered)',
      unit: 'ms',
      samples: attaches.map(round),
    });
    record({
      name: `cluster dap re-attach after hot reload (${tool})`,
      measures: 'save of a source file until the open DAP session is reattached to the restarted debugger (breakpoints replayed)',
      unit: 'ms',
      samples: reattaches.map(round),
      baseline: { name: `hot reload of the debug run (${tool})`, measures: "the same reload's syncMs + stopMs + startMs as the run service reports them (without the debugger's own start and the reattach)", samples: reloads.map(round) },
    });
    expect(attaches).toHaveLength(RUNS);
  });
});

/** syncMs + stopMs + startMs of the daemon's last logged hot reload. */
function lastReload(home: string): number {
  const lines = fs.readFileSync(path.join(home, 'logs', 'daemon.log'), 'utf8').trim().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const entry = JSON.parse(lines[i]!) as { message?: string; syncMs?: number; stopMs?: number; startMs?: number };
    if (entry.message === 'hot reload') return (entry.syncMs ?? 0) + (entry.stopMs ?? 0) + (entry.startMs ?? 0);
  }
  return NaN;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
