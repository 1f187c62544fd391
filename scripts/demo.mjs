#!/usr/bin/env node
// `npm run demo`: the seed article's walkthrough (Nocalhost's dev loop on bookinfo), headless, with nhd.
// Uses the current Kubernetes context when it answers, else starts the local cluster (test/cluster);
// installs bookinfo-lite, puts `authors` into dev mode with its source synced from a scratch copy, runs it
// with hot reload, changes the author's name locally, and shows productpage's new answer through a
// port-forward; then ends dev mode, checks the original is back, cleans up and prints each step's time.
//
// Everything goes through the `nhd` CLI (dist/nhd.js) and its daemon, as a user would type it. The daemon is
// private to the demo (its own NHD_HOME) and stopped at the end.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '..');
const NHD = path.join(REPO, 'dist/nhd.js');
const APP = path.join(REPO, 'test/fixtures/bookinfo-lite');
const NS = process.env.NHD_DEMO_NAMESPACE || 'nhd-demo';
const NEW_AUTHOR = 'Ada Lovelace';
const ORIGINAL_AUTHOR = 'William Shakespeare';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nhd-demo-home-'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nhd-demo-src-'));
const env = { ...process.env, NHD_HOME: home };
const steps = [];
const cleanups = [];
const tty = process.stdout.isTTY;
const bold = (s) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (tty ? `\x1b[2m${s}\x1b[0m` : s);

function say(line) {
  process.stdout.write(`${line}\n`);
}

/** Runs one step, timing it; a failing step stops the demo with what failed. */
async function step(title, work) {
  say(bold(`\n▶ ${title}`));
  const started = performance.now();
  const detail = await work();
  const ms = performance.now() - started;
  steps.push({ title, ms, detail });
  say(`  ${dim(`done in ${format(ms)}`)}${detail ? ` — ${detail}` : ''}`);
  return detail;
}

function format(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** `nhd ARGS`; rejects with its stderr when it fails. Progress (stderr) is shown indented. */
function nhd(args, { quiet = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NHD, ...args], { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!quiet) for (const line of String(d).split('\n').filter(Boolean)) process.stdout.write(`  ${dim(line.replace(/\r?\x1b\[2K/g, ''))}\n`);
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`nhd ${args.join(' ')} failed (exit ${code}):\n${stderr.trim()}`))));
  });
}

function get(port) {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/', timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

/** The author productpage shows now, or undefined while it does not answer. */
async function shownAuthor(port) {
  try {
    return /<p id="author">Author: ([^<]*)<\/p>/.exec(await get(port))?.[1];
  } catch {
    return undefined;
  }
}

async function waitFor(what, check, timeoutMs, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${format(timeoutMs)} waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Uses the current context when it answers within 10 s; else starts the local cluster. */
async function chooseCluster() {
  if (process.env.KUBECONFIG || fs.existsSync(path.join(os.homedir(), '.kube/config'))) {
    const probe = spawnSync(process.execPath, [NHD, 'ls', '-n', 'kube-system', '--json'], { env, encoding: 'utf8', timeout: 15_000 });
    if (probe.status === 0) return `the current context (${process.env.KUBECONFIG || '~/.kube/config'})`;
    say(`  ${dim(`the current context does not answer (${(probe.stderr || 'timeout').trim().split('\n')[0]}); using the local cluster`)}`);
  }
  const up = spawnSync('bash', [path.join(REPO, 'test/cluster/cluster.sh'), 'up'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (up.status !== 0) throw new Error('The local cluster did not start; see the output above (test/cluster/README.md explains it).');
  const dir = process.env.NHD_CLUSTER_DIR || path.join(os.homedir(), '.cache/nhd-cluster');
  env.KUBECONFIG = path.join(dir, 'kubeconfig');
  return `the local cluster (KUBECONFIG=${env.KUBECONFIG})`;
}

async function main() {
  if (!fs.existsSync(NHD)) throw new Error(`${NHD} is missing; run \`npm run build\` first (npm run demo does).`);
  say(bold('nhd demo: bookinfo-lite, dev mode on authors, a change live through hot reload'));

  await step('Choose a cluster', chooseCluster);

  await step(`Install bookinfo-lite in namespace ${NS}`, async () => {
    await nhd(['app', 'uninstall', 'bookinfo-lite', '-n', NS], { quiet: true }).catch(() => {});
    await nhd(['app', 'install', path.join(APP, 'manifests'), '-n', NS, '--name', 'bookinfo-lite']);
    cleanups.push(() => nhd(['app', 'uninstall', 'bookinfo-lite', '-n', NS], { quiet: true }));
    return 'productpage, authors and details are available';
  });

  const port = await step('Forward productpage to this machine', async () => {
    const forward = JSON.parse(await nhd(['port-forward', 'deployment/productpage', ':9080', '-n', NS, '--json']));
    const author = await waitFor('productpage to answer', () => shownAuthor(forward.localPort), 60_000);
    say(`  http://127.0.0.1:${forward.localPort}/ says: Author: ${author}`);
    return forward.localPort;
  });

  // The developer's checkout: a scratch copy, so the repository's fixtures stay as they are.
  fs.cpSync(APP, work, { recursive: true });
  const source = path.join(work, 'authors');
  await step('Start dev mode on deployment/authors (dev image with Go, source synced)', async () => {
    const session = JSON.parse(await nhd(['dev', 'start', 'deployment/authors', '-n', NS, '--local-dir', source, '--json']));
    cleanups.push(() => nhd(['dev', 'end', 'deployment/authors', '-n', NS], { quiet: true }));
    return `pod ${session.pod}, image ${session.image}, ${source} → ${session.workDir}`;
  });

  const run = spawn(process.execPath, [NHD, 'run', 'deployment/authors', '-n', NS, '--hot-reload', '--json'], { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  const reloads = [];
  let runOutput = '';
  let buffered = '';
  run.stdout.on('data', (chunk) => {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        const event = JSON.parse(line);
        if (event.event === 'output') runOutput += event.text;
        if (event.event === 'didChange' && event.reload) reloads.push(event.reload);
      } catch {
        // Not an event line.
      }
    }
  });
  run.stderr.on('data', (d) => (runOutput += d));
  const runEnded = new Promise((resolve) => run.on('close', resolve));
  cleanups.push(async () => {
    if (run.exitCode === null) run.kill('SIGINT');
    await runEnded;
  });

  await step('Run it with hot reload (nhd run --hot-reload: ./run.sh builds and starts the server)', async () => {
    await waitFor('the dev build of authors to answer', async () => (await shownAuthor(port)) === ORIGINAL_AUTHOR && /authors listening/.test(runOutput), 180_000, 200);
    return `productpage still says: Author: ${ORIGINAL_AUTHOR}, now served by the dev container`;
  });

  let reload;
  await step(`Change the author in ${path.relative(work, path.join(source, 'main.go'))} to "${NEW_AUTHOR}" and wait for productpage to show it`, async () => {
    const file = path.join(source, 'main.go');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(`const author = "${ORIGINAL_AUTHOR}"`, `const author = "${NEW_AUTHOR}"`));
    const before = reloads.length;
    await waitFor(`productpage to show ${NEW_AUTHOR}`, async () => (await shownAuthor(port)) === NEW_AUTHOR, 120_000);
    reload = reloads[before];
    say(`  http://127.0.0.1:${port}/ says: Author: ${NEW_AUTHOR}`);
    return reload
      ? `save → synced in ${format(reload.syncMs)}, old process stopped in ${format(reload.stopMs)}, ./run.sh started in ${format(reload.startMs)}; the rest is go build and the server's start`
      : 'live';
  });

  await step('End dev mode: authors is restored exactly as it was', async () => {
    run.kill('SIGINT');
    await runEnded;
    await nhd(['dev', 'end', 'deployment/authors', '-n', NS]);
    const author = await waitFor(`productpage to show ${ORIGINAL_AUTHOR} again`, async () => ((await shownAuthor(port)) === ORIGINAL_AUTHOR ? ORIGINAL_AUTHOR : undefined), 120_000, 200);
    return `productpage says: Author: ${author} (the original image again)`;
  });

  await step('Clean up: uninstall the app, stop the demo daemon', async () => {
    await cleanup();
    return `bookinfo-lite uninstalled from ${NS}`;
  });

  say(bold('\nTimings'));
  const width = Math.max(...steps.map((s) => s.title.length));
  for (const s of steps) say(`  ${s.title.padEnd(width)}  ${format(s.ms).padStart(8)}`);
  if (reload) say(`  ${'  of which: sync, stop, start (then go build)'.padEnd(width)}  ${format(reload.syncMs)}, ${format(reload.stopMs)}, ${format(reload.startMs)}`);
}

async function cleanup() {
  for (const fn of cleanups.splice(0).reverse()) await Promise.resolve().then(fn).catch(() => {});
  // Only when the demo's daemon runs: `nhd status` would start one otherwise.
  if (fs.existsSync(path.join(home, 'nhd.sock'))) {
    const status = spawnSync(process.execPath, [NHD, 'status', '--json'], { env, encoding: 'utf8', timeout: 10_000 });
    try {
      process.kill(JSON.parse(status.stdout).pid, 'SIGTERM');
    } catch {
      // No daemon left.
    }
  }
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(home, { recursive: true, force: true });
}

process.on('SIGINT', () => {
  say('\ninterrupted; cleaning up');
  void cleanup().then(() => process.exit(130));
});

main().then(
  () => process.exit(0),
  async (error) => {
    process.stderr.write(`\nnhd demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    await cleanup();
    process.exit(1);
  },
);
