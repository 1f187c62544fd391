import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ErrorCode,
  RpcErrorCode,
  TerminalCloseRequest,
  TerminalExitNotification,
  TerminalInputNotification,
  TerminalOpenRequest,
  TerminalOutputNotification,
  TerminalResizeNotification,
  type TerminalExitParams,
  type TerminalOpenParams,
  type TerminalOpenResult,
  type TerminalOutputParams,
} from '../../protocol';
import { NHD, connectSocketClient, startSocketDaemon, tempHome, until, type TestClient } from '../harness/daemon';
import { APP_IMAGE, applyDeployment, createNamespace, errorOf, kubectl, nhdCli } from './support';

/**
 * Terminals on the real cluster: commands with exit codes and separate stdout/stderr, stdin with
 * EOF, an interactive shell with a TTY and resize, close, and the errors a person can cause;
 * through the protocol and through `nhd exec`.
 */

const WAIT_MS = 60_000;
let ns: ReturnType<typeof createNamespace>;
let daemon: Awaited<ReturnType<typeof startSocketDaemon>>;
let client: TestClient;
const cli = nhdCli();

beforeAll(async () => {
  ns = createNamespace('nhd-term');
  applyDeployment(
    ns.name,
    'web',
    [
      `{name: web, image: ${APP_IMAGE}, imagePullPolicy: Never, command: [python3, -m, http.server, '9080']}`,
      `{name: helper, image: ${APP_IMAGE}, imagePullPolicy: Never, command: [sleep, infinity], env: [{name: ROLE, value: helper}]}`,
    ],
    { terminationGracePeriodSeconds: 0, automountServiceAccountToken: false },
  );
  daemon = await startSocketDaemon(tempHome());
  client = await connectSocketClient(daemon.socketPath, 'terminal-e2e');
});

afterAll(async () => {
  client?.dispose();
  await daemon?.stop();
  cli.stop();
  ns?.dispose();
});

/** What a terminal printed, per stream, and how it ended. */
interface Transcript {
  stdout(): string;
  stderr(): string;
  exit(): TerminalExitParams | undefined;
}

function transcript(c: TestClient, terminalId: string): Transcript {
  const outputs = () =>
    c.notifications.filter((n) => n.method === TerminalOutputNotification.method).map((n) => n.params as TerminalOutputParams).filter((p) => p.terminalId === terminalId);
  const text = (stream: string) =>
    Buffer.concat(outputs().filter((p) => p.stream === stream).map((p) => Buffer.from(p.data, 'base64'))).toString('utf8');
  return {
    stdout: () => text('stdout'),
    stderr: () => text('stderr'),
    exit: () =>
      c.notifications.filter((n) => n.method === TerminalExitNotification.method).map((n) => n.params as TerminalExitParams).find((p) => p.terminalId === terminalId),
  };
}

function open(params: Omit<TerminalOpenParams, 'namespace'>): Promise<TerminalOpenResult> {
  return client.connection.sendRequest(TerminalOpenRequest.method, { namespace: ns.name, ...params }) as Promise<TerminalOpenResult>;
}

function input(terminalId: string, text: string, eof = false): void {
  void client.connection.sendNotification(TerminalInputNotification.method, { terminalId, data: Buffer.from(text).toString('base64'), ...(eof ? { eof } : {}) });
}

describe('nhd/terminal over the protocol', () => {
  it('runs a command: stdout and stderr apart, the exit code, no output before the open answer', async () => {
    const opened = await open({ kind: 'deployment', name: 'web', command: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
    expect(opened.container).toBe('web');
    expect(opened.pod).toMatch(/^web-/);
    const t = transcript(client, opened.terminalId);
    await until(() => t.exit() !== undefined, 'the exit notification', WAIT_MS);
    expect(t.exit()).toEqual({ terminalId: opened.terminalId, exitCode: 3 });
    expect(t.stdout()).toBe('out\n');
    expect(t.stderr()).toBe('err\n');
    // The exit is the last word about a terminal.
    const last = client.notifications.filter((n) => (n.params as { terminalId?: string })?.terminalId === opened.terminalId).at(-1);
    expect(last?.method).toBe(TerminalExitNotification.method);
  });

  it('feeds stdin and closes it on eof, so cat ends', async () => {
    // kubectl's short name: the daemon reads it too.
    const opened = await open({ kind: 'deploy' as 'deployment', name: 'web', command: ['cat'] });
    input(opened.terminalId, 'hello ');
    input(opened.terminalId, 'wörld\n', true);
    const t = transcript(client, opened.terminalId);
    await until(() => t.exit() !== undefined, 'cat to exit', WAIT_MS);
    expect(t.exit()?.exitCode).toBe(0);
    expect(t.stdout()).toBe('hello wörld\n');
  });

  it('picks the container asked for', async () => {
    const opened = await open({ kind: 'deployment', name: 'web', container: 'helper', command: ['sh', '-c', 'echo $ROLE'] });
    expect(opened.container).toBe('helper');
    const t = transcript(client, opened.terminalId);
    await until(() => t.exit() !== undefined, 'the exit', WAIT_MS);
    expect(t.stdout()).toBe('helper\n');
  });

  it('picks the dev container of a workload in dev mode when none is named', async () => {
    kubectl(['annotate', 'deployment/web', '-n', ns.name, 'nhd.dev/dev={"container":"helper","image":"x","workDir":"/"}']);
    try {
      const opened = await open({ kind: 'deployment', name: 'web', command: ['true'] });
      expect(opened.container).toBe('helper');
    } finally {
      kubectl(['annotate', 'deployment/web', '-n', ns.name, 'nhd.dev/dev-']);
    }
  });

  it('opens an interactive shell with a TTY that follows resizes', async () => {
    const opened = await open({ kind: 'deployment', name: 'web', cols: 80, rows: 24 });
    const t = transcript(client, opened.terminalId);
    // Type at a prompt, as a person does: a line typed while the shell sets its terminal up can be dropped.
    let seen = 0;
    const atPrompt = async () => {
      await until(() => /[#$%] $/.test(t.stdout().slice(seen)), 'a shell prompt', WAIT_MS);
      seen = t.stdout().length;
    };
    await atPrompt();
    // Even the first size travels on its own channel: ask until it has landed.
    for (let attempt = 0; attempt < 10 && !t.stdout().includes('24 80'); attempt++) {
      input(opened.terminalId, 'stty size\r');
      await atPrompt();
    }
    expect(t.stdout()).toContain('24 80');
    void client.connection.sendNotification(TerminalResizeNotification.method, { terminalId: opened.terminalId, cols: 132, rows: 43 });
    // The resize travels on its own channel and may land just after the next command runs: ask again.
    for (let attempt = 0; attempt < 10 && !t.stdout().includes('43 132'); attempt++) {
      input(opened.terminalId, 'stty size\r');
      await atPrompt();
    }
    expect(t.stdout()).toContain('43 132');
    input(opened.terminalId, 'echo $((6*7))\r');
    // Bash ends bracketed-paste mode before the command's output: "\x1b[?2004l\r42\r\n".
    await until(() => /[\r\n]42\r\n/.test(t.stdout()), 'the shell to print 42', WAIT_MS);
    await atPrompt();
    // A TTY merges stderr into stdout.
    expect(t.stderr()).toBe('');
    input(opened.terminalId, 'exit 5\r');
    await until(() => t.exit() !== undefined, 'the shell to exit', WAIT_MS);
    expect(t.exit()?.exitCode).toBe(5);
  });

  it('closes a terminal on request; its exit follows', async () => {
    const opened = await open({ kind: 'deployment', name: 'web', command: ['sleep', '600'] });
    await client.connection.sendRequest(TerminalCloseRequest.method, { terminalId: opened.terminalId });
    const t = transcript(client, opened.terminalId);
    await until(() => t.exit() !== undefined, 'the exit after close', WAIT_MS);
    expect(t.exit()?.exitCode).not.toBe(0);
    const again = await errorOf(client.connection.sendRequest(TerminalCloseRequest.method, { terminalId: opened.terminalId }));
    expect(again.code).toBe(ErrorCode.UnknownHandle);
  });

  it('keeps terminals private to the client that opened them', async () => {
    const other = await connectSocketClient(daemon.socketPath, 'terminal-e2e-other');
    try {
      const opened = await open({ kind: 'deployment', name: 'web', command: ['cat'] });
      const error = await errorOf(other.connection.sendRequest(TerminalCloseRequest.method, { terminalId: opened.terminalId }));
      expect(error.code).toBe(ErrorCode.UnknownHandle);
      void other.connection.sendNotification(TerminalInputNotification.method, { terminalId: opened.terminalId, data: Buffer.from('intruder\n').toString('base64'), eof: true });
      input(opened.terminalId, 'owner\n', true);
      const t = transcript(client, opened.terminalId);
      await until(() => t.exit() !== undefined, 'cat to exit', WAIT_MS);
      expect(t.stdout()).toBe('owner\n');
      expect(other.notifications.some((n) => n.method === TerminalOutputNotification.method)).toBe(false);
    } finally {
      other.dispose();
    }
  });

  it('answers mistakes with codes and messages a person can act on', async () => {
    const missing = await errorOf(open({ kind: 'deployment', name: 'nope', command: ['true'] }));
    expect(missing.code).toBe(ErrorCode.WorkloadNotFound);
    expect(missing.message).toContain(ns.name);
    const badKind = await errorOf(open({ kind: 'service' as never, name: 'web' }));
    expect(badKind.code).toBe(RpcErrorCode.InvalidParams);
    for (const kind of ['deployment', 'statefulset', 'daemonset', 'job', 'cronjob', 'pod']) expect(badKind.message).toContain(kind);
    const badContainer = await errorOf(open({ kind: 'deployment', name: 'web', container: 'nope', command: ['true'] }));
    expect(badContainer.code).toBe(ErrorCode.ContainerNotFound);
    expect(badContainer.message).toContain('web, helper');
    const noBinary = await open({ kind: 'deployment', name: 'web', command: ['/no/such/binary'] });
    const t = transcript(client, noBinary.terminalId);
    await until(() => t.exit() !== undefined, 'the exit of a missing binary', WAIT_MS);
    expect(t.exit()?.exitCode).not.toBe(0);
    expect(t.stderr() + t.stdout()).toMatch(/no such file|not found/i);
  });

  it('keeps serving after a client leaves with a terminal open (its terminals end)', async () => {
    const other = await connectSocketClient(daemon.socketPath, 'terminal-e2e-leaving');
    const opened = (await other.connection.sendRequest(TerminalOpenRequest.method, {
      namespace: ns.name,
      kind: 'deployment',
      name: 'web',
      tty: true,
    })) as TerminalOpenResult;
    expect(opened.terminalId).toMatch(/^term-/);
    other.dispose();
    // The daemon keeps serving everyone else.
    const next = await open({ kind: 'deployment', name: 'web', command: ['true'] });
    const t = transcript(client, next.terminalId);
    await until(() => t.exit() !== undefined, 'the exit', WAIT_MS);
    expect(t.exit()?.exitCode).toBe(0);
  });
});

describe('nhd exec', () => {
  it('runs a command and returns its exit code, stdout and stderr apart', async () => {
    const result = await cli.run(['exec', 'deployment/web', '-n', ns.name, '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    expect(result.stdout).toBe('out\n');
    expect(result.stderr).toBe('err\n');
    expect(result.code).toBe(7);
  });

  it('forwards piped stdin: echo hi | nhd exec deploy/web -- cat', async () => {
    const child = spawn(process.execPath, [NHD, 'exec', 'deploy/web', '-n', ns.name, '--', 'cat'], { env: cli.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end('hi\n');
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: 'hi\n', stderr: '' });
  });

  it('runs in the container asked for, and says which ones exist when it is wrong', async () => {
    const ok = await cli.run(['exec', 'deploy/web', '-n', ns.name, '-c', 'helper', '--', 'printenv', 'ROLE']);
    expect(ok).toMatchObject({ code: 0, stdout: 'helper\n' });
    const wrong = await cli.run(['exec', 'deploy/web', '-n', ns.name, '-c', 'nope', '--', 'true']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('web, helper');
  });

  it('attaches a terminal: raw mode, the size, resize on SIGWINCH, the remote exit code', () => {
    // Node has no pty of its own; python's pty module gives the CLI a real terminal to attach.
    const driver = path.join(cli.home, 'pty-driver.py');
    fs.writeFileSync(
      driver,
      `
import os, pty, time, select, fcntl, termios, struct, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 30, 100, 0, 0))
out = b''
def pump(until, limit=30):
    global out
    end = time.time() + limit
    while time.time() < end and until not in out:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try: out += os.read(fd, 4096)
            except OSError: return
pump(b'# ')
os.write(fd, b'stty size; echo $((6*7))\\r'); pump(b'42')
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 50, 160, 0, 0)); os.kill(pid, 28)
for attempt in range(10):
    if b'50 160' in out: break
    time.sleep(0.3); os.write(fd, b'stty size\\r'); pump(b'50 160', 2)
os.write(fd, b'exit 4\\r'); pump(b'never', 10)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf-8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`,
    );
    const result = spawnSync('python3', [driver, process.execPath, NHD, 'exec', 'deployment/web', '-n', ns.name], { env: cli.env, encoding: 'utf8', timeout: 90_000 });
    expect(result.stdout).toContain('30 100');
    expect(result.stdout).toMatch(/[\r\n]42\r/);
    expect(result.stdout).toContain('50 160');
    expect(result.status).toBe(4);
  });

  it('refuses a malformed workload with the usage', async () => {
    const result = await cli.run(['exec', 'web', '-n', ns.name, '--', 'true']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('KIND/NAME');
  });
});
