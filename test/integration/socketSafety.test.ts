import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestSleepRequest, type StatusResult } from '../../protocol';
import { DaemonClient } from '../../clients/cli/daemonClient';
import { nhdPaths } from '../../clients/cli/paths';
import { NHD, alive, nhdEnv, runCli, startSocketDaemon, tempHome, until } from '../harness/daemon';

/**
 * The CLI never hangs on a daemon that does not answer, never starts a second daemon over one that
 * is stuck, and the daemon never puts its socket in (nor changes the mode of) a directory someone
 * else can write.
 */

/** Processes cleaned up after each test: daemons stopped with SIGSTOP get SIGCONT first. */
const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    if (!alive(pid)) continue;
    process.kill(pid, 'SIGKILL');
  }
});

/** The pids of `nhd serve --listen SOCKET` processes, from /proc (what a second daemon would be). */
function daemonsOn(socketPath: string): number[] {
  return fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).flatMap((pid) => {
    try {
      const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const at = args.indexOf('--listen');
      return args.includes('serve') && at >= 0 && args[at + 1] === socketPath ? [Number(pid)] : [];
    } catch {
      return [];
    }
  });
}

async function statusPid(env: NodeJS.ProcessEnv): Promise<number> {
  const result = await runCli(['status', '--json'], env);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as StatusResult).pid;
}

/** `nhd serve --listen SOCKET` with NHD_HOME=home, run to its exit or until its socket answers. */
function serveOn(home: string, socketPath: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [NHD, 'serve', '--listen', socketPath], { env: nhdEnv(home, env), stdio: ['ignore', 'ignore', 'pipe'] });
  started.push(child.pid!);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exited, stderr: () => stderr };
}

describe('a daemon that does not answer', () => {
  it('makes nhd status fail within NHD_CONNECT_TIMEOUT, saying what happened, without starting another daemon', async () => {
    // A peer of our own making: it accepts every connection and never says a word.
    const home = tempHome();
    const socketPath = path.join(home, 'nhd.sock');
    const held: net.Socket[] = [];
    const silent = net.createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(socketPath, resolve));
    const inode = fs.statSync(socketPath).ino;
    try {
      const result = await runCli(['status'], nhdEnv(home, { NHD_CONNECT_TIMEOUT: '1' }));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`nhd: the nhd daemon at ${socketPath} (pid ${process.pid}) accepted the connection but did not answer initialize within 1 s`);
      expect(result.stderr).toContain(`kill -KILL ${process.pid}`);
      expect(held).toHaveLength(1);
      expect(fs.statSync(socketPath).ino).toBe(inode);
      expect(daemonsOn(socketPath)).toEqual([]);
    } finally {
      held.forEach((s) => s.destroy());
      silent.close();
    }
  });

  it('says a SIGSTOPped daemon is stopped, and the same daemon serves again after SIGCONT', async () => {
    const home = tempHome();
    const daemon = await startSocketDaemon(home);
    const pid = daemon.process.pid!;
    started.push(pid);
    process.kill(pid, 'SIGSTOP');
    const result = await runCli(['status'], nhdEnv(home, { NHD_CONNECT_TIMEOUT: '1' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`the nhd daemon at ${daemon.socketPath} (pid ${pid}) accepted the connection but did not answer initialize within 1 s: it is stopped`);
    expect(result.stderr).toContain(`kill -CONT ${pid}`);
    expect(daemonsOn(daemon.socketPath)).toEqual([pid]);
    process.kill(pid, 'SIGCONT');
    expect(await statusPid(nhdEnv(home))).toBe(pid);
    await daemon.stop();
  });

  it('is not replaced when its queue of connections is full (connect fails with EAGAIN)', async () => {
    const home = tempHome();
    const daemon = await startSocketDaemon(home);
    const pid = daemon.process.pid!;
    started.push(pid);
    const inode = fs.statSync(daemon.socketPath).ino;
    process.kill(pid, 'SIGSTOP');
    // Fill the listen queue of the stopped daemon until the kernel refuses with EAGAIN.
    const queued: net.Socket[] = [];
    let full = false;
    while (!full) {
      full = await new Promise<boolean>((resolve) => {
        const socket = net.connect(daemon.socketPath);
        socket.once('connect', () => resolve(false));
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EAGAIN'));
        queued.push(socket);
      });
      expect(queued.length).toBeLessThan(5000);
    }
    try {
      const result = await runCli(['status'], nhdEnv(home, { NHD_CONNECT_TIMEOUT: '1' }));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`the nhd daemon at ${daemon.socketPath} (pid ${pid}) accepts no more connections: its queue of waiting connections is full: it is stopped`);
      expect(fs.statSync(daemon.socketPath).ino).toBe(inode);
      expect(daemonsOn(daemon.socketPath)).toEqual([pid]);
      // Nor does a daemon started by hand take the socket over: the stuck one is not stale.
      const second = serveOn(home, daemon.socketPath);
      expect(await second.exited).toBe(1);
      expect(second.stderr()).toContain(`nhd: A process listens on ${daemon.socketPath} but accepts no more connections`);
      expect(fs.statSync(daemon.socketPath).ino).toBe(inode);
    } finally {
      queued.forEach((s) => s.destroy());
    }
    process.kill(pid, 'SIGCONT');
    expect(await statusPid(nhdEnv(home))).toBe(pid);
    await daemon.stop();
  });

  it('bounds only the handshake: a request after it may take longer than NHD_CONNECT_TIMEOUT', async () => {
    const home = tempHome();
    const daemon = await startSocketDaemon(home);
    started.push(daemon.process.pid!);
    const client = await DaemonClient.connect('slow-request-test', nhdPaths({ NHD_HOME: home }), 300);
    try {
      expect(await client.request(TestSleepRequest.type, { ms: 1500 })).toBeGreaterThanOrEqual(1500);
    } finally {
      await client.close();
    }
    await daemon.stop();
  });

  it('refuses an NHD_CONNECT_TIMEOUT that is not a number of seconds', async () => {
    const result = await runCli(['status'], nhdEnv(tempHome(), { NHD_CONNECT_TIMEOUT: 'soon' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('nhd: NHD_CONNECT_TIMEOUT is "soon"; set it to the seconds nhd waits for the daemon to answer (default 10), or unset it.\n');
  });
});

describe('the socket directory', () => {
  for (const mode of [0o777, 0o1777, 0o770]) {
    it(`refuses --listen in a directory of mode ${mode.toString(8)} and leaves its mode alone`, async () => {
      const home = tempHome();
      const open = fs.mkdtempSync(path.join(home, 'open-'));
      fs.chmodSync(open, mode);
      const served = serveOn(home, path.join(open, 'x.sock'));
      expect(await served.exited).toBe(1);
      const who = mode & 0o002 ? 'its group and others' : 'its group';
      expect(served.stderr()).toContain(`nhd: ${open} is writable by ${who} (mode ${mode.toString(8)}), so another user could put their own socket or log in nhd's place; nhd does not use it, and does not change a directory it did not create.`);
      expect(served.stderr()).toContain('Give --listen a path in a directory only you can write');
      expect(fs.statSync(open).mode & 0o7777).toBe(mode);
      expect(fs.existsSync(path.join(open, 'x.sock'))).toBe(false);
    });
  }

  it('refuses --listen in a directory another user owns and leaves it alone', async () => {
    const home = tempHome();
    const theirs = fs.mkdtempSync(path.join(home, 'theirs-'));
    fs.chmodSync(theirs, 0o755);
    fs.chownSync(theirs, 65534, 65534);
    const served = serveOn(home, path.join(theirs, 'x.sock'));
    expect(await served.exited).toBe(1);
    expect(served.stderr()).toContain(`nhd: ${theirs} belongs to uid 65534, not to you (uid 0)`);
    const stat = fs.statSync(theirs);
    expect([stat.uid, stat.mode & 0o7777]).toEqual([65534, 0o755]);
    expect(fs.readdirSync(theirs)).toEqual([]);
  });

  it('listens in an existing 0755 directory of yours and leaves its mode alone', async () => {
    const home = tempHome();
    const mine = fs.mkdtempSync(path.join(home, 'mine-'));
    fs.chmodSync(mine, 0o755);
    const socketPath = path.join(mine, 'x.sock');
    const served = serveOn(home, socketPath);
    await until(() => fs.existsSync(socketPath), `the daemon listening on ${socketPath} (stderr: ${served.stderr()})`);
    expect(fs.statSync(mine).mode & 0o7777).toBe(0o755);
    expect(fs.statSync(socketPath).mode & 0o777).toBe(0o600);
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });

  it('creates missing directories 0700 (a new NHD_HOME, the socket directory and the log directory)', async () => {
    const base = tempHome();
    const home = path.join(base, 'new', 'home');
    const pid = await statusPid(nhdEnv(home));
    started.push(pid);
    for (const dir of [path.join(base, 'new'), home, path.join(home, 'logs')]) expect([dir, fs.statSync(dir).mode & 0o7777]).toEqual([dir, 0o700]);
    const socketPath = path.join(base, 'sockets', 'deep', 'x.sock');
    const served = serveOn(home, socketPath);
    await until(() => fs.existsSync(socketPath), `the daemon listening on ${socketPath} (stderr: ${served.stderr()})`);
    for (const dir of [path.join(base, 'sockets'), path.dirname(socketPath)]) expect([dir, fs.statSync(dir).mode & 0o7777]).toEqual([dir, 0o700]);
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });

  it('keeps an existing 0755 NHD_HOME as it is', async () => {
    const home = tempHome();
    fs.chmodSync(home, 0o755);
    started.push(await statusPid(nhdEnv(home)));
    expect(fs.statSync(home).mode & 0o7777).toBe(0o755);
  });

  it('refuses an NHD_HOME others can write before creating anything in it', async () => {
    const home = tempHome();
    fs.chmodSync(home, 0o1777);
    const result = await runCli(['status'], nhdEnv(home));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`nhd: ${home} is writable by its group and others (mode 1777)`);
    expect(result.stderr).toContain('Set NHD_HOME to a directory only you can write');
    expect(fs.statSync(home).mode & 0o7777).toBe(0o1777);
    expect(fs.readdirSync(home)).toEqual([]);
  });
});
