import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { connectDap, dapStreamChannel } from '../../adapters/dap';
import { DebugProxy } from '../../server/debug/debugProxy';
import { DirectTargetProvider } from '../../server/debug/directTargetProvider';
import type { DapChannel, DapConnector, DebugLanguage } from '../../server/ports';
import { REPO } from './daemon';

/**
 * The real debuggers the DAP proxy is tested against, and the fixture programs they run. The
 * debuggers come from test/debuggers/install.sh (called by scripts/install-deps.sh) into a cache
 * outside the checkout; NHD_DLV and NHD_DEBUGPY_PYTHON override. A missing debugger fails the test
 * with the command that installs it: these tests never skip.
 */

const CACHE = process.env['NHD_DEBUGGERS_DIR'] || path.join(os.homedir(), '.cache/nhd-debuggers');
const INSTALL = 'bash test/debuggers/install.sh (or scripts/install-deps.sh)';

function required(what: string, file: string, env: string): string {
  if (!fs.existsSync(file)) {
    throw new Error(`${what} not found at ${file}. Install it with: ${INSTALL}; or point ${env} at one.`);
  }
  return file;
}

/** delve, built from test/cluster/delve/go.mod (the Go dev image's pin). */
export function dlvPath(): string {
  return required('delve (dlv)', process.env['NHD_DLV'] || path.join(CACHE, 'bin/dlv'), 'NHD_DLV');
}

/** A python that can `import debugpy` (the venv install.sh makes). */
export function debugpyPython(): string {
  return required('python with debugpy', process.env['NHD_DEBUGPY_PYTHON'] || path.join(CACHE, 'venv/bin/python'), 'NHD_DEBUGPY_PYTHON');
}

export function goBinary(): string {
  const onPath = spawnSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' }).stdout.trim();
  return required('go', onPath || '/usr/local/go/bin/go', 'PATH');
}

export const FIXTURES = path.join(REPO, 'test/fixtures/debug');

/** The 1-based line of `BREAK <marker>` in a fixture file. */
export function breakLine(file: string, marker: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => new RegExp(`BREAK ${marker}\\b`).test(l));
  if (i < 0) throw new Error(`no "BREAK ${marker}" in ${file}`);
  return i + 1;
}

/**
 * A fixture program with its two trees: `localRoot` is the checkout's copy (the IDE's paths),
 * `remoteRoot` a copy in a temporary folder, where the program is built and runs (the debugger's
 * paths), so path mapping is really exercised.
 */
export interface DebugFixture {
  language: DebugLanguage;
  localRoot: string;
  remoteRoot: string;
  /** The source files tests break in, by role. */
  files: { handler: string; greet: string };
  /** Starts the debugger with the program under it; `debugPort` for DAP, `appPort` for HTTP. */
  start(debugPort: number, appPort: number): Promise<Debuggee>;
  dispose(): void;
}

export function prepareFixture(language: DebugLanguage): DebugFixture {
  const localRoot = path.join(FIXTURES, language);
  const remoteRoot = fs.mkdtempSync(path.join(os.tmpdir(), `nhd-remote-${language}-`));
  fs.cpSync(localRoot, remoteRoot, { recursive: true });
  if (language === 'go') {
    // Built without optimizations, as `dlv debug` builds; the binary records the remote paths.
    const build = spawnSync(goBinary(), ['build', '-gcflags=all=-N -l', '-o', 'app', '.'], {
      cwd: remoteRoot,
      encoding: 'utf8',
      env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' },
    });
    if (build.status !== 0) throw new Error(`go build of the fixture failed:\n${build.stderr}`);
  }
  const files =
    language === 'go'
      ? { handler: 'main.go', greet: 'main.go' }
      : { handler: 'app.py', greet: 'greeting.py' };
  return {
    language,
    localRoot,
    remoteRoot,
    files,
    start: (debugPort, appPort) => startDebuggee(language, remoteRoot, debugPort, appPort),
    dispose: () => fs.rmSync(remoteRoot, { recursive: true, force: true }),
  };
}

/** A debugger with its debuggee, in their own process group. */
export interface Debuggee {
  process: ChildProcess;
  output(): string;
  /** SIGKILLs the whole group (debugger and program), as a hot reload's restart does. */
  kill(): Promise<void>;
}

function startDebuggee(language: DebugLanguage, remoteRoot: string, debugPort: number, appPort: number): Promise<Debuggee> {
  // delve without --continue: the program waits for a client's configurationDone, so a reattach
  // right after a restart sets its breakpoints before any code runs. (With --continue the headless
  // server's own continue can land after the client's attach halted the program, and take it
  // over: stops then go unreported. See refusedWhileRunning in server/debug/debuggers.ts.)
  const [command, args] =
    language === 'go'
      ? [dlvPath(), ['exec', './app', '--headless', `--listen=127.0.0.1:${debugPort}`, '--accept-multiclient', '--api-version=2', '--log-dest=/dev/null']]
      : [debugpyPython(), ['-Xfrozen_modules=off', '-m', 'debugpy', '--listen', `127.0.0.1:${debugPort}`, 'app.py']];
  const child = spawn(command, args, {
    cwd: remoteRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: String(appPort), PYDEVD_DISABLE_FILE_VALIDATION: '1' },
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return Promise.resolve({
    process: child,
    output: () => output,
    kill: async () => {
      // delve starts the program in a process group of its own, and debugpy's adapter daemonizes
      // (its own session, parent 1): kill the descendants' groups and the adapter, found by pid.
      const adapters = language === 'python' ? debugpyAdapters(debugPort) : [];
      const groups = descendants(child.pid!).map((pid) => -pid);
      for (const pid of [-child.pid!, ...groups, ...adapters]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await exited;
      // The program dies with its debugger, a moment later: its ports are free before a restart.
      await waitForPortClosed(appPort);
      await waitForPortClosed(debugPort);
    },
  });
}

/** Every process below `root`, from /proc's parent links. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent is the 2nd field after the command's closing parenthesis.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => (children.get(pid) ?? []).forEach((c) => (out.push(c), walk(c)));
  walk(root);
  return out;
}

/** Pids of debugpy adapters serving `port` (found in /proc, as `ps` would). */
function debugpyAdapters(port: number): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const at = args.indexOf('--port');
    if (args.some((a) => a.endsWith('debugpy/adapter')) && at > 0 && args[at + 1] === String(port)) pids.push(Number(entry));
  }
  return pids;
}

async function waitForPortClosed(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (await accepts(port)) {
    if (Date.now() > deadline) throw new Error(`127.0.0.1:${port} still accepts connections ${timeoutMs} ms after the kill`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Waits until something listens on the port, read from /proc/net/tcp without connecting: a probe
 * connection would look like a client to a debugger.
 */
export async function waitForListen(port: number, timeoutMs = 20_000): Promise<void> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tables = ['/proc/net/tcp', '/proc/net/tcp6'].map((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : ''));
    // Columns: sl local_address rem_address st ...; st 0A is LISTEN.
    if (tables.some((t) => t.split('\n').some((l) => l.split(/\s+/)[2]?.endsWith(hex.trim()) && l.split(/\s+/)[4] === '0A'))) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Waits until something accepts TCP connections on the port (an HTTP GET could hit a breakpoint). */
export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await accepts(port)) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The proxy in this process, serving DAP on a 127.0.0.1 socket as the daemon's endpoint will:
 * in-process so tests can restart the debuggee under it and read its state, over a real socket so
 * the IDE side is the wire a DebugAdapterServer client uses.
 */
export async function startProxyServer(options: { readyTimeoutMs?: number } = {}): Promise<{ port: number; proxies: DebugProxy[]; close(): Promise<void> }> {
  const proxies: DebugProxy[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const ide = traced('ide', dapStreamChannel(socket, socket));
    const connect: DapConnector = async (endpoint, signal) => traced(`remote:${endpoint.port}`, await connectDap(endpoint, signal));
    proxies.push(new DebugProxy({ ide, connect, provider: new DirectTargetProvider(options) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    proxies,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
      await Promise.all(proxies.map((p) => p.ended));
    },
  };
}

/** With NHD_DAP_TRACE=1, every message through a channel on stderr. */
function traced(name: string, channel: DapChannel): DapChannel {
  if (!process.env['NHD_DAP_TRACE']) return channel;
  const show = (dir: string, m: object) => process.stderr.write(`[dap ${name} ${dir}] ${JSON.stringify(m).slice(0, 400)}\n`);
  return {
    send: (m) => {
      const seq = channel.send(m);
      show('<-', { ...m, seq });
      return seq;
    },
    onMessage: (listener) => channel.onMessage((m) => (show('->', m), listener(m))),
    closed: channel.closed.then((r) => (show('closed', r), r)),
    close: () => channel.close(),
  };
}

/**
 * testsupport's DebugClient, connected to a socket by us: its own `start(port)` turns every
 * timeout off (meant for debugging the adapter), and ours must fail a test that hangs.
 */
export class SocketDebugClient extends DebugClient {
  private socket: net.Socket | undefined;
  readonly outputs: string[] = [];
  /** The seq and type of every message the proxy sent, in arrival order. */
  readonly received: { seq: number; type: string; request_seq?: number; event?: string }[] = [];

  constructor() {
    super('node', '', 'nhd');
    this.defaultTimeout = 10_000;
    this.on('output', (e: DebugProtocol.OutputEvent) => this.outputs.push(e.body.output));
  }

  /** Resolves when the connection is gone (closed by the adapter, or by close()). */
  closed: Promise<void> = Promise.resolve();

  /** Connects to a TCP port on 127.0.0.1, or to a unix socket's path. */
  async connectTo(where: number | string): Promise<void> {
    const socket = typeof where === 'number' ? net.connect(where, '127.0.0.1') : net.connect(where);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true);
    // A second reader on the same bytes, for what DebugClient does not expose: every seq.
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/Content-Length: *(\d+)/i.exec(buffer.subarray(0, end).toString())?.[1]);
        if (buffer.length < end + 4 + length) return;
        const m = JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString());
        this.received.push({ seq: m.seq, type: m.type, request_seq: m.request_seq, event: m.event });
        buffer = buffer.subarray(end + 4 + length);
      }
    });
    this.connect(socket, socket);
  }

  /** Waits for an output event matching `pattern` (also one that came before the call). */
  async waitForOutput(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.outputs.find((o) => pattern.test(o));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no output matching ${pattern} within ${timeoutMs} ms; got:\n${this.outputs.join('')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.socket?.destroy();
  }
}
