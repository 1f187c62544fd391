import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import { Daemon, FileLogger, createServices, serveClient } from '../../server';
import { NHD, RawClient, connectSocketClient, initializeConnection, nhdEnv, startSocketDaemon, tempHome, type TestClient } from './daemon';

/**
 * The ways a client reaches nhd, as gopls runs each integration test in Default, Forwarded and
 * SeparateProcess modes. Wire-level tests run `describe.each(MODES)` so that the same
 * expectations hold however the daemon is deployed:
 * - `inProcess`: the daemon in the test's own process, each client on an in-memory duplex pair
 *   (fast, and a debugger or a stack trace sees both sides);
 * - `stdio`: a spawned `nhd serve` per client, as an editor starts it;
 * - `socket`: one spawned shared daemon (`nhd serve --listen`), several clients on its socket.
 */
export type ModeName = 'inProcess' | 'stdio' | 'socket';

export interface Env {
  readonly mode: ModeName;
  /** What `nhd/status` reports as the daemon's mode. */
  readonly statusMode: 'stdio' | 'socket';
  /**
   * A new initialized client. In `stdio` each client has a daemon of its own; else they share one.
   * `capabilities` replaces the harness's DEFAULT_CAPABILITIES.
   */
  client(name?: string, capabilities?: object): Promise<TestClient>;
  /** A new raw connection (bytes in, framed messages out), not initialized. */
  raw(): Promise<RawClient>;
  /** Ends every client and the daemon(s). */
  dispose(): Promise<void>;
}

/** Modes in which several clients share one daemon (bystander tests). */
export interface SharedEnv extends Env {
  readonly mode: 'inProcess' | 'socket';
}

export const MODES: Record<ModeName, () => Promise<Env>> = { inProcess, stdio, socket };
export const SHARED_MODES: Record<SharedEnv['mode'], () => Promise<SharedEnv>> = { inProcess, socket };

async function inProcess(): Promise<SharedEnv> {
  const home = tempHome();
  const logFile = path.join(home, 'logs/daemon.log');
  const log = new FileLogger(logFile);
  // No Kubernetes: the wire-level tests need none, and a unit-test daemon must not reach a cluster.
  const daemon = new Daemon({ version: 'in-process', mode: 'socket', logFile, testHooks: true, log }, createServices({ log, env: process.env }));
  const ends: (() => void)[] = [];
  const pair = () => {
    const toDaemon = new PassThrough();
    const fromDaemon = new PassThrough();
    serveClient(daemon, { input: toDaemon, output: fromDaemon, close: () => fromDaemon.end() }, { onExit: () => {} });
    const end = () => {
      toDaemon.end();
      fromDaemon.end();
    };
    ends.push(end);
    return { input: fromDaemon, output: toDaemon, end };
  };
  return {
    mode: 'inProcess',
    statusMode: 'socket',
    client: async (name = 'in-process-test', capabilities) => {
      const streams = pair();
      const client = await initializeConnection(createMessageConnection(new StreamMessageReader(streams.input), new StreamMessageWriter(streams.output)), name, capabilities);
      return { ...client, dispose: () => { client.connection.dispose(); streams.end(); } };
    },
    raw: async () => {
      const streams = pair();
      return new RawClient(streams.input, streams.output, streams.end);
    },
    dispose: async () => {
      for (const end of ends.splice(0)) end();
      daemon.requestStop('test over');
    },
  };
}

async function stdio(): Promise<Env> {
  const children: ChildProcess[] = [];
  const spawnServe = () => {
    const child = spawn(process.execPath, [NHD, 'serve'], { env: nhdEnv(tempHome()), stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    return child;
  };
  return {
    mode: 'stdio',
    statusMode: 'stdio',
    client: async (name = 'stdio-test', capabilities) => {
      const child = spawnServe();
      const client = await initializeConnection(createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!)), name, capabilities);
      return { ...client, dispose: () => { client.connection.dispose(); child.kill(); } };
    },
    raw: async () => {
      const child = spawnServe();
      return new RawClient(child.stdout! as Readable, child.stdin! as Writable, () => child.kill());
    },
    dispose: async () => {
      await Promise.all(children.splice(0).map((child) => stopChild(child)));
    },
  };
}

async function socket(): Promise<SharedEnv> {
  const daemon = await startSocketDaemon(tempHome());
  const clients: { dispose(): void }[] = [];
  return {
    mode: 'socket',
    statusMode: 'socket',
    client: async (name = 'socket-test', capabilities) => {
      const client = await connectSocketClient(daemon.socketPath, name, capabilities);
      clients.push(client);
      return client;
    },
    raw: async () => {
      const raw = await RawClient.connect(daemon.socketPath);
      clients.push({ dispose: () => raw.close() });
      return raw;
    },
    dispose: async () => {
      for (const client of clients.splice(0)) client.dispose();
      await daemon.stop();
    },
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill();
  });
}
