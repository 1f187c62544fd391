import { alive } from '../harness/daemon';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCommand, stopCommand } from '../../server/run/processGroup';

/**
 * The stop script of a debug run (server/run/processGroup.ts), run here by a local sh as the dev container would: what a
 * debugger leaves outside its process group (a child in a group of its own, as delve's program; a
 * daemonized port holder, as debugpy's adapter) ends with it.
 */

const pids: number[] = [];
afterEach(() => {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});


function sh(argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile(argv[0]!, argv.slice(1), (error, stdout) => (error ? reject(error) : resolve(stdout))));
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A "debugger": a node process in its own group (the run's), which starts a child in a session
 * of its own (a descendant, as delve's program) and a port holder that daemonizes (no descendant,
 * as debugpy's adapter), and writes their pids.
 */
function debuggerProgram(dir: string, port: number): string {
  const program = path.join(dir, 'debugger.js');
  fs.writeFileSync(
    program,
    `const { spawn } = require('node:child_process');
const fs = require('node:fs');
const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
// The holder daemonizes: started by a process that exits at once, so it is no descendant any more.
const serve = 'require("node:net").createServer().listen(${port}, "127.0.0.1"); setInterval(() => {}, 1000)';
const daemonize = 'const h = require("node:child_process").spawn(process.execPath, ["-e", ' + JSON.stringify(serve) + '], { detached: true, stdio: "ignore" }); h.unref(); console.log(h.pid)';
let out = '';
const middle = spawn(process.execPath, ['-e', daemonize], { stdio: ['ignore', 'pipe', 'ignore'] });
middle.stdout.on('data', (d) => (out += d));
middle.on('exit', () => fs.writeFileSync(${JSON.stringify(path.join(dir, 'pids'))}, JSON.stringify({ child: child.pid, holder: Number(out.trim()) })));
setInterval(() => {}, 1000);
`,
  );
  return program;
}

describe('stopCommand with a debug run\'s extras', () => {
  it("ends the group, its descendants' groups and the port's holder; only the group without extras", async () => {
    for (const withExtras of [true, false]) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nhd-pg-'));
      const port = await freePort();
      const pidFile = path.join(dir, 'run.pid');
      const start = startCommand(dir, pidFile, [process.execPath, debuggerProgram(dir, port)]);
      const run = spawn(start[0]!, start.slice(1), { stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => run.once('exit', () => resolve()));
      await waitFor(() => fs.existsSync(path.join(dir, 'pids')), 'the debugger to start its children');
      const { child, holder } = JSON.parse(fs.readFileSync(path.join(dir, 'pids'), 'utf8')) as { child: number; holder: number };
      pids.push(child, holder);
      await waitFor(() => alive(child) && alive(holder), 'the children');
      while (!(await accepts(port))) await new Promise((r) => setTimeout(r, 20));
      const group = Number(fs.readFileSync(pidFile, 'utf8'));
      await sh(stopCommand([pidFile], 2_000, withExtras ? { tree: true, port } : {}));
      await exited;
      expect(alive(group)).toBe(false);
      // Without extras, what left the group survives: the reason debug runs have them.
      await waitFor(() => alive(child) === !withExtras && alive(holder) === !withExtras, `the children ${withExtras ? 'gone' : 'left'} (child ${alive(child)}, holder ${alive(holder)})`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('startCommand with command.build', () => {
  /** Runs a start command to its end: exit code and output. */
  function runToEnd(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('builds first, in the work directory, with its argv intact (quotes and $ included), then runs the program', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nhd-build-'));
    const build = ['sh', '-c', `printf '%s' "$0" > built.txt`, "it's $HOME; `x`"];
    const result = await runToEnd(startCommand(dir, path.join(dir, 'run.pid'), ['cat', 'built.txt'], build));
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("it's $HOME; `x`");
    expect(result.stderr).toContain('nhd run: command.build: ');
  });

  it('a failing build stops there with its exit code and says so; without a build the program just runs', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nhd-build-'));
    const failed = await runToEnd(startCommand(dir, path.join(dir, 'run.pid'), ['sh', '-c', 'echo ran'], ['sh', '-c', 'exit 3']));
    expect(failed.code).toBe(3);
    expect(failed.stdout).not.toContain('ran');
    expect(failed.stderr).toContain('nhd run: command.build failed (exit 3); the program was not started');
    const plain = await runToEnd(startCommand(dir, path.join(dir, 'run.pid'), ['sh', '-c', 'echo ran']));
    expect(plain).toMatchObject({ code: 0, stdout: 'ran\n' });
    expect(plain.stderr).toBe('');
  });
});
