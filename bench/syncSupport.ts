/**
 * What the file-sync benchmarks share: deterministic trees (seeded generators), temp dirs that are
 * removed even when a benchmark fails, a dev pod with the `nhd-sync` sidecar, a SyncSession wired
 * to report its batches, and raw `tar | kubectl exec` as the anchor for initial sync.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startExecAgent, type StreamAgentLink } from '../adapters/agent';
import { KubeCluster } from '../adapters/kube';
import { DirectoryWatcher } from '../adapters/watch';
import type { AgentLink } from '../server/ports';
import { nullLogger } from '../server/ports';
import { SyncSession, type SyncBatchReport } from '../server/sync/syncSession';
import { APP_IMAGE, DEV_IMAGE, applyDeployment, createNamespace, kubectlJson, nhdCli } from '../test/e2e/support';

process.env['KUBECONFIG'] ||= path.join(os.homedir(), '.cache/nhd-cluster/kubeconfig');

/** The sidecar's container and source root (server/devMode/plan.ts). */
export const SIDECAR = 'nhd-sync';
export const SIDECAR_ROOT = '/nhd/src';

/** Trees go to memory when the machine has /dev/shm, so the local disk is not what is measured. */
export const TREE_BASE = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();

// ---------------------------------------------------------------------------------------------
// Cleanup that runs even when a benchmark fails (afterAll calls runCleanups), in reverse order.

const cleanups: { what: string; run: () => unknown }[] = [];

export function onCleanup(what: string, run: () => unknown): void {
  cleanups.push({ what, run });
}

export async function runCleanups(): Promise<void> {
  for (const { what, run } of cleanups.splice(0).reverse()) {
    try {
      await run();
    } catch (error) {
      process.stderr.write(`[bench] cleanup of ${what} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
}

export function tempDir(name: string, base = TREE_BASE): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(base, `nhd-bench-${name}-`)));
  onCleanup(dir, () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Deterministic content.

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `size` pseudo-random bytes from a seed (xorshift32, fast enough for 100 MB). */
export function randomBytesFrom(seed: number, size: number): Buffer {
  const words = new Uint32Array(Math.ceil(size / 4));
  let x = (seed | 0) || 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return Buffer.from(words.buffer, 0, size);
}

const WORDS = ['function', 'return', 'const', 'module', 'exports', 'require', 'value', 'options', 'this', 'null', 'undefined', 'if', 'else', 'for', '=>', '{', '}', '(', ')', ';', '\n', '  ', 'prototype', 'callback', 'error', 'length', 'index', 'object'];

/** Text that looks like source: words from a seeded PRNG, exactly `size` bytes. */
export function textFrom(rng: () => number, size: number): Buffer {
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    const w = WORDS[Math.floor(rng() * WORDS.length)]!;
    parts.push(w, ' ');
    length += w.length + 1;
  }
  return Buffer.from(parts.join('').slice(0, size));
}

export interface TreeStats {
  files: number;
  dirs: number;
  bytes: number;
}

/**
 * `files` files of pseudo-random (incompressible) content totalling exactly `totalBytes`, in
 * 10 × 10 directories; sizes are skewed (many small, a few of several MB), as in a source tree
 * with some assets.
 */
export function makeBulkTree(root: string, files = 10_000, totalBytes = 100 * 1024 * 1024, seed = 1): TreeStats {
  const rng = prng(seed);
  const weights = Array.from({ length: files }, () => Math.exp(rng() * Math.log(2000)));
  const sum = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.max(1, Math.floor((w / sum) * totalBytes)));
  sizes[sizes.length - 1]! += totalBytes - sizes.reduce((a, b) => a + b, 0);
  // One pool of random bytes; each file is a slice at a seeded offset (deterministic, fast).
  const largest = Math.max(...sizes);
  const pool = randomBytesFrom(seed, largest + 1024 * 1024);
  let dirs = 0;
  for (let i = 0; i < files; i++) {
    const dir = path.join(root, `d${Math.floor(i / 1000)}`, `s${Math.floor(i / 100) % 10}`);
    if (i % 100 === 0) {
      fs.mkdirSync(dir, { recursive: true });
      dirs += i % 1000 === 0 ? 2 : 1;
    }
    const offset = Math.floor(rng() * 1024 * 1024);
    fs.writeFileSync(path.join(dir, `f${i}.bin`), pool.subarray(offset, offset + sizes[i]!));
  }
  return { files, dirs, bytes: totalBytes };
}

/**
 * A tree shaped like node_modules: packages (some scoped, some nested), each with package.json,
 * README.md, index.js, lib/ and dist/ of small .js/.d.ts/.map/.json files; `files` in total.
 */
export function makeNodeModulesTree(root: string, files = 50_000, seed = 2): TreeStats {
  const rng = prng(seed);
  const stats: TreeStats = { files: 0, dirs: 0, bytes: 0 };
  const mkdir = (dir: string) => {
    if (!fs.existsSync(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      stats.dirs++;
    }
  };
  const write = (file: string, size: number) => {
    const content = file.endsWith('.json') ? Buffer.from(JSON.stringify({ name: path.basename(path.dirname(file)), version: '1.0.0', pad: textFrom(rng, Math.max(0, size - 60)).toString() })) : textFrom(rng, size);
    fs.writeFileSync(file, content);
    stats.files++;
    stats.bytes += content.length;
  };
  // Sizes: log-uniform from 40 B to 24 KB (median ~1 KB), like a real node_modules.
  const size = () => Math.floor(Math.exp(Math.log(40) + rng() * Math.log(24_000 / 40)));
  let pkg = 0;
  const top = path.join(root, 'node_modules');
  mkdir(top);
  while (stats.files < files) {
    const scoped = rng() < 0.15;
    const nested = pkg > 50 && rng() < 0.1;
    const name = scoped ? path.join(`@scope${pkg % 40}`, `pkg${pkg}`) : `pkg${pkg}`;
    const base = nested ? path.join(top, `pkg${Math.floor(rng() * 50)}`, 'node_modules', name) : path.join(top, name);
    pkg++;
    mkdir(base);
    const budget = Math.min(files - stats.files, 3 + Math.floor(rng() * 90));
    write(path.join(base, 'package.json'), size());
    let made = 1;
    for (const sub of ['lib', 'dist', 'lib/utils', 'dist/esm', 'types']) {
      if (made >= budget) break;
      mkdir(path.join(base, sub));
      const here = Math.min(budget - made, 1 + Math.floor(rng() * 25));
      for (let i = 0; i < here; i++) {
        const ext = sub === 'types' ? '.d.ts' : rng() < 0.2 ? '.js.map' : rng() < 0.1 ? '.json' : '.js';
        write(path.join(base, sub, `m${i}${ext}`), size());
      }
      made += here;
    }
    while (made < budget) {
      write(path.join(base, `f${made}.js`), size());
      made++;
    }
  }
  return stats;
}

/** The watcher's tree: `files` small files in directories of `perDir` (100,000 in 10,000 by default). */
export function makeWideTree(root: string, files = 100_000, perDir = 10): TreeStats {
  const content = Buffer.from('export const x = 1;\n');
  let dirs = 0;
  for (let i = 0; i < files; i++) {
    const d = Math.floor(i / perDir);
    const dir = path.join(root, `a${Math.floor(d / 100)}`, `b${d % 100}`);
    if (i % perDir === 0) {
      fs.mkdirSync(dir, { recursive: true });
      dirs += d % 100 === 0 ? 2 : 1;
    }
    fs.writeFileSync(path.join(dir, `f${i}.js`), content);
  }
  return { files, dirs, bytes: files * content.length };
}

// ---------------------------------------------------------------------------------------------
// A dev pod with the sync sidecar.

export interface DevPod {
  namespace: string;
  pod: string;
  context: string;
  cluster: KubeCluster;
  /** Connects an agent in the sidecar with `root` as its root. */
  agent(root: string): Promise<StreamAgentLink>;
  /** Runs a shell command in the sidecar; rejects on a non-zero exit. */
  sh(script: string): Promise<string>;
}

/** A namespace with one Deployment put into dev mode with the nhd CLI, as a user does; removed by runCleanups. */
export async function startDevPod(prefix: string): Promise<DevPod> {
  const ns = createNamespace(prefix);
  onCleanup(`namespace ${ns.name}`, () => ns.dispose());
  const cli = nhdCli('bench@nhd');
  onCleanup('the bench CLI daemon', () => cli.stop());
  applyDeployment(ns.name, 'app', [`{name: app, image: "${APP_IMAGE}", imagePullPolicy: Never, command: [sh, -c, "python3 -m http.server 9080"]}`]);
  const localDir = tempDir('devdir', os.tmpdir());
  const started = await cli.run(['dev', 'start', 'deployment/app', '-n', ns.name, '--image', DEV_IMAGE, '--local-dir', localDir, '--json']);
  if (started.code !== 0) throw new Error(`nhd dev start failed: ${started.stderr}`);
  const pod = JSON.parse(started.stdout).pod as string;
  const phase = kubectlJson(['get', 'pod', pod, '-n', ns.name]).status.phase;
  if (phase !== 'Running') throw new Error(`The dev pod ${pod} is ${phase}.`);
  const cluster = new KubeCluster();
  const context = cluster.config().currentContext;
  const target = { context, namespace: ns.name, pod, container: SIDECAR };
  return {
    namespace: ns.name,
    pod,
    context,
    cluster,
    agent: async (root) => {
      const link = await startExecAgent(cluster, target, root, { onLog: (text) => process.stderr.write(text) });
      onCleanup(`agent link on ${root}`, () => link.close());
      return link;
    },
    sh: (script) => kubectlExec(ns.name, pod, ['sh', '-c', script]),
  };
}

export function kubectlExec(namespace: string, pod: string, command: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['exec', '-i', '-n', namespace, pod, '-c', SIDECAR, '--', ...command], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl exec ${command.join(' ')} exited ${code}: ${err}`))));
    child.stdin.end(input ?? '');
  });
}

/** The anchor for initial sync: `tar c -C dir . | kubectl exec -i POD -c nhd-sync -- tar x -C target`. */
export function tarOverExec(dir: string, namespace: string, pod: string, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = 'set -o pipefail; tar c -C "$1" . | kubectl exec -i -n "$2" "$3" -c "$4" -- tar x -C "$5"';
    const child = spawn('bash', ['-c', script, 'bash', dir, namespace, pod, SIDECAR, target], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar over exec exited ${code}: ${err}`))));
  });
}

export function sidecarTreeStats(namespace: string, pod: string, dir: string): TreeStats {
  const r = spawnSync('kubectl', ['exec', '-n', namespace, pod, '-c', SIDECAR, '--', 'sh', '-c', 'find "$1" -type f | wc -l; find "$1" -mindepth 1 -type d | wc -l; find "$1" -type f -printf "%s\\n" | awk "{s+=\\$1} END {print s+0}"', 'sh', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`counting ${dir} in the sidecar failed: ${r.stderr}`);
  const [files, dirs, bytes] = r.stdout.trim().split('\n').map(Number);
  return { files: files!, dirs: dirs!, bytes: bytes! };
}

// ---------------------------------------------------------------------------------------------
// A SyncSession that reports its batches.

export interface BenchSession {
  session: SyncSession;
  reports: SyncBatchReport[];
  /** Every report with the time (performance.now()) it arrived. */
  log: { report: SyncBatchReport; at: number }[];
  /** Resolves with (the time of) the next batch report, or rejects after timeoutMs. */
  nextBatch(timeoutMs?: number): Promise<{ report: SyncBatchReport; at: number }>;
  /** Drops the reports nobody asked for yet (a second event for the same save), returning them. */
  drain(): { report: SyncBatchReport; at: number }[];
  stop(): Promise<void>;
}

export function benchSession(localDir: string, link: AgentLink, watcher = new DirectoryWatcher()): BenchSession {
  const reports: SyncBatchReport[] = [];
  const log: { report: SyncBatchReport; at: number }[] = [];
  let waiter: ((value: { report: SyncBatchReport; at: number }) => void) | undefined;
  const queued: { report: SyncBatchReport; at: number }[] = [];
  const session = new SyncSession({
    localDir,
    link,
    watcher,
    settings: { mode: 'pattern', filePattern: ['./'], ignoreFilePattern: [], deleteProtection: true },
    log: nullLogger,
    onBatch: (report) => {
      const at = performance.now();
      reports.push(report);
      log.push({ report, at });
      if (report.errors.length > 0) process.stderr.write(`[bench] sync errors: ${JSON.stringify(report.errors.slice(0, 3))}\n`);
      if (waiter) {
        const w = waiter;
        waiter = undefined;
        w({ report, at });
      } else queued.push({ report, at });
    },
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await session.stop();
  };
  onCleanup(`sync session on ${localDir}`, stop);
  return {
    session,
    reports,
    log,
    nextBatch(timeoutMs = 10_000) {
      const ready = queued.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          reject(new Error(`no sync batch within ${timeoutMs} ms`));
        }, timeoutMs);
        waiter = (value) => {
          clearTimeout(timer);
          resolve(value);
        };
      });
    },
    drain: () => queued.splice(0),
    stop,
  };
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
