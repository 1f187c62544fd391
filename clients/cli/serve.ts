import * as fs from 'node:fs';
import type * as net from 'node:net';
import * as path from 'node:path';
import { format } from 'node:util';
import { startExecAgent, startLocalAgent } from '../../adapters/agent';
import { connectDap, dapStreamChannel } from '../../adapters/dap';
import { FAULT_ENV, KubeCluster, faultInjector, parseFault, type Fault } from '../../adapters/kube';
import { DirectoryWatcher } from '../../adapters/watch';
import {
  Daemon,
  FileLogger,
  NhdError,
  SIDECAR_AGENT_DIR,
  createServices,
  listenOnUnixSocket,
  serveClient,
  type AgentTarget,
  type Cluster,
  type DaemonOptions,
  type Logger,
  type ServicePorts,
} from '../../server';
import { CHOOSE_NHD_HOME, MAX_SOCKET_PATH, ensureOwnDirectory, nhdPaths } from './paths';
import { VERSION } from './version';

/**
 * The composition root: the one module that imports both server/ and adapters/ (kube, agent, watch,
 * dap). It builds the services on the adapters (createServices), hands them to the Daemon, and
 * decides how the process listens (stdio for one editor, or a shared unix socket) and when it exits.
 */
export interface ServeOptions {
  /** Listen on this unix socket instead of serving stdio; `true` for the default path. */
  listen?: string | true;
  /** Exit after this many seconds with no client and no session (socket mode). 0: never. */
  idleTimeoutSeconds: number;
}

export async function serve(options: ServeOptions): Promise<number> {
  let fault: Fault | undefined;
  try {
    fault = testFault();
  } catch (error) {
    process.stderr.write(`nhd: ${(error as Error).message}\n`);
    return 2;
  }
  const paths = nhdPaths();
  ensureOwnDirectory(paths.stateDir, CHOOSE_NHD_HOME);
  rotateLog(paths.logFile);
  const log = new FileLogger(paths.logFile, process.env['NHD_LOG_LEVEL'] === 'debug' ? 'debug' : 'info');
  protectStdout(log);
  const testHooks = process.env['NHD_TEST_HOOKS'] === '1';
  if (fault) log.log('warn', 'daemon', `${FAULT_ENV}: this daemon kills itself ${fault.when} cluster write ${fault.write} (tests only)`);
  if (options.listen === undefined) return serveStdio(log, paths.logFile, testHooks, fault);
  const socketPath = options.listen === true ? paths.socketPath : path.resolve(options.listen);
  const example = path.join(path.dirname(socketPath), `nhd-${process.getuid?.() ?? 'user'}`, path.basename(socketPath));
  const instead =
    options.listen === true
      ? CHOOSE_NHD_HOME
      : `Give --listen a path in a directory only you can write, such as ${example} (nhd creates a missing one 0700), or leave the path out for the shared daemon's ${paths.socketPath}.`;
  ensureOwnDirectory(path.dirname(socketPath), instead);
  return serveSocket(log, paths.logFile, socketPath, options.idleTimeoutSeconds, testHooks, fault);
}

function serveStdio(log: FileLogger, logFile: string, testHooks: boolean, fault: Fault | undefined): Promise<number> {
  const daemon = createDaemon({ version: VERSION, mode: 'stdio', logFile, testHooks, log }, fault);
  log.log('info', 'daemon', 'serving stdio', { version: VERSION });
  return new Promise((resolve) => {
    let code = 1;
    const { closed } = serveClient(
      daemon,
      { input: process.stdin, output: process.stdout, close: () => process.stdin.pause() },
      { onExit: (shutdownReceived) => (code = shutdownReceived ? 0 : 1) },
    );
    daemon.on('stopRequested', () => process.stdin.destroy());
    void closed.then(() => {
      log.log('info', 'daemon', 'stdio closed', { code });
      resolve(code);
    });
  });
}

async function serveSocket(log: FileLogger, logFile: string, socketPath: string, idleTimeoutSeconds: number, testHooks: boolean, fault: Fault | undefined): Promise<number> {
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    process.stderr.write(`nhd: the socket path ${socketPath} is longer than ${MAX_SOCKET_PATH} bytes; set NHD_HOME to a shorter directory.\n`);
    return 2;
  }
  const daemon = createDaemon({ version: VERSION, mode: 'socket', socketPath, logFile, testHooks, log }, fault);
  const sockets = new Set<net.Socket>();
  let server: net.Server;
  try {
    server = await listenOnUnixSocket(socketPath, (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', (error) => log.log('warn', 'client', `socket error: ${error.message}`));
      serveClient(daemon, { input: socket, output: socket, close: () => socket.end() }, { onExit: () => {} });
    });
  } catch (error) {
    const alreadyRunning = error instanceof NhdError && (error.data as { alreadyRunning?: boolean } | undefined)?.alreadyRunning;
    process.stderr.write(`nhd: ${(error as Error).message}\n`);
    return alreadyRunning ? 0 : 1;
  }
  log.log('info', 'daemon', 'listening', { socketPath, version: VERSION, idleTimeoutSeconds });

  let idleTimer: NodeJS.Timeout | undefined;
  const armIdleTimer = () => {
    clearTimeout(idleTimer);
    idleTimer = undefined;
    if (idleTimeoutSeconds > 0 && daemon.isIdle()) {
      idleTimer = setTimeout(() => daemon.requestStop(`idle for ${idleTimeoutSeconds} s`), idleTimeoutSeconds * 1000);
    }
  };
  daemon.on('event', (event) => {
    if (event.kind === 'statusChanged') armIdleTimer();
  });
  armIdleTimer();

  return new Promise((resolve) => {
    daemon.once('stopRequested', (reason) => {
      clearTimeout(idleTimer);
      server.close();
      // End, not destroy: the answer to nhd/daemon/stop must still reach its sender.
      for (const socket of sockets) socket.end();
      setTimeout(() => sockets.forEach((socket) => socket.destroy()), 1000).unref();
      try {
        fs.unlinkSync(socketPath);
      } catch {
        // Already gone.
      }
      log.log('info', 'daemon', 'stopped', { reason });
      resolve(0);
    });
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      process.once(signal, () => daemon.requestStop(`signal ${signal}`));
    }
  });
}

/**
 * NHD_TEST_FAULT (tests only, with NHD_TEST_HOOKS=1): the cluster write at which this daemon kills
 * itself (adapters/kube/faultInjection.ts). A value that is not one stops the daemon from starting.
 */
function testFault(): Fault | undefined {
  const text = process.env[FAULT_ENV];
  if (text === undefined || text === '') return undefined;
  if (process.env['NHD_TEST_HOOKS'] !== '1') throw new Error(`${FAULT_ENV} is set, but it is for tests only and works only with NHD_TEST_HOOKS=1; unset ${FAULT_ENV}.`);
  return parseFault(text);
}

/** The daemon on the real edges: Kubernetes (adapters/kube), file sync (watch, agent) and DAP. */
function createDaemon(options: Omit<DaemonOptions, 'createCluster'>, fault: Fault | undefined): Daemon {
  const { log } = options;
  const withFault = fault ? faultInjector(fault, log) : (cluster: Cluster) => cluster;
  const createCluster = (kubeconfig: string | undefined) => withFault(new KubeCluster({ logger: log, ...(kubeconfig ? { kubeconfig } : {}) }));
  return new Daemon({ ...options, createCluster }, createServices(servicePorts(log)));
}

/** NHD_IDENTITY names the owner of dev sessions (tests, shared hosts). */
function servicePorts(log: Logger): ServicePorts {
  const identity = process.env['NHD_IDENTITY'];
  return {
    log,
    env: process.env,
    ...(identity ? { identity } : {}),
    fileSync: {
      watcher: new DirectoryWatcher(),
      launchAgent: (cluster: Cluster, target: AgentTarget, root: string) =>
        startExecAgent(cluster, target, root, { directory: SIDECAR_AGENT_DIR, onLog: (text) => log.log('debug', 'sync', `agent: ${text.trimEnd()}`) }),
      launchLocalAgent: async (root: string) => (await startLocalAgent(root, { onLog: (text) => log.log('debug', 'sync', `local agent: ${text.trimEnd()}`) })).link,
    },
    // nhd/debug/listen's sockets: beside the shared daemon's, in the runtime dir only this user can reach.
    dap: { connect: connectDap, channel: dapStreamChannel, socketDir: path.join(path.dirname(nhdPaths().socketPath), 'dap') },
  };
}

/** Nothing may write to stdout but the protocol: console output goes to the log instead. */
function protectStdout(log: Logger): void {
  const toLog = (...args: unknown[]) => log.log('info', 'daemon', format(...args));
  console.log = toLog;
  console.info = toLog;
  console.debug = toLog;
  console.warn = (...args: unknown[]) => log.log('warn', 'daemon', format(...args));
}

/** Keeps the log bounded: past 10 MB it becomes daemon.log.1 (one generation kept). */
function rotateLog(file: string): void {
  try {
    if (fs.statSync(file).size > 10 * 1024 * 1024) fs.renameSync(file, `${file}.1`);
  } catch {
    // No log yet.
  }
}
