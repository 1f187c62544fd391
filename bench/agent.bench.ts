import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalAgent } from '../adapters/agent';
import type { AgentLink, SyncOp } from '../server/ports';
import { record, round } from './support';
import { TREE_BASE, makeWideTree, onCleanup, randomBytesFrom, readAll, runCleanups, tempDir } from './syncSupport';

/**
 * The sync agent alone (dist/agent.js as a local process over its stdin and stdout, as over an exec
 * stream; no cluster, no watcher, no SyncSession), each figure against a same-run anchor that does
 * the same work without the agent:
 *
 * - index of 10,000 files in directories of 1,000: `link.index()`; anchor `find ROOT -printf` (path, size,
 *   mtime, mode: what the index carries) read from its stdout.
 * - apply of 1,000 small files (and their directory) into an empty root: `link.apply()`; anchor the
 *   same writes from a plain Node loop in this process, the agent's way (temp file, mode, mtime, rename).
 * - a 100 MB write and read: `link.apply()` of one file and `link.read()` of it; anchor `cat` through
 *   a pipe (stdin into a file, the file to stdout).
 *
 * The targets are ours (no issue sets them): the agent's framing, JSON and atomic writes may cost at
 * most what the bounds say over the anchor. Knob: NHD_BENCH_AGENT_RUNS (5).
 */
const RUNS = Math.max(1, Number(process.env['NHD_BENCH_AGENT_RUNS'] ?? 5));
const INDEX_FILES = 10_000;
const SMALL_FILES = 1_000;
const BIG_BYTES = 100 * 1024 * 1024;
const MB = 1e6;

afterAll(runCleanups, 60_000);

async function agentOn(root: string): Promise<AgentLink> {
  const { link } = await startLocalAgent(root, { onLog: (text) => process.stderr.write(text) });
  onCleanup(`agent on ${root}`, () => link.close());
  return link;
}

function write(p: string, content: Buffer, mode = 0o644, mtimeMs = Date.now()): SyncOp {
  return { op: 'write', path: p, mode, mtimeMs, size: content.length, open: () => Readable.from([content]) };
}

/** Runs `command`, feeding it `input`, and resolves with its stdout once it exits 0. */
function pipeThrough(command: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${command.join(' ')} exited with ${code}`))));
    child.stdin?.end(input);
  });
}

async function timed<T>(work: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: round(performance.now() - started), value };
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const smallFile = (i: number) => Buffer.from(`export const n = ${i};\n`);

describe('sync agent benchmark', () => {
  it(`index of ${INDEX_FILES} files, ${RUNS} runs`, async () => {
    const root = tempDir('agent-index');
    const tree = makeWideTree(root, INDEX_FILES, 1_000);
    const link = await agentOn(root);
    const samples: number[] = [];
    const anchor: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const agent = await timed(() => link.index());
      expect(agent.value.filter((e) => e.kind === 'file')).toHaveLength(tree.files);
      samples.push(agent.ms);
      const find = await timed(() => pipeThrough(['find', root, '-mindepth', '1', '-printf', '%P\\t%s\\t%T@\\t%m\\n']));
      expect(find.value.toString().split('\n').filter(Boolean)).toHaveLength(agent.value.length);
      anchor.push(find.ms);
    }
    record({
      name: `agent: index ${INDEX_FILES} files`,
      measures: `link.index() of ${tree.files} files in ${tree.dirs} directories under ${TREE_BASE}, through the local agent's pipes`,
      unit: 'ms',
      samples,
      baseline: { name: 'find -printf', measures: 'find over the same tree printing path, size, mtime and mode, read from its stdout', samples: anchor },
      targets: [{ figure: 'ratio', atMost: 3, note: 'at most 3× find' }],
    });
  });

  it(`apply of ${SMALL_FILES} small files, ${RUNS} runs`, async () => {
    const samples: number[] = [];
    const anchor: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const root = tempDir(`agent-apply-${run}`);
      const link = await agentOn(root);
      const ops: SyncOp[] = [{ op: 'mkdir', path: 'src', mode: 0o755 }];
      for (let i = 0; i < SMALL_FILES; i++) ops.push(write(`src/file-${i}.ts`, smallFile(i)));
      const agent = await timed(() => link.apply(ops));
      expect(agent.value.errors).toEqual([]);
      expect(agent.value.applied).toBe(SMALL_FILES + 1);
      samples.push(agent.ms);

      const plainRoot = tempDir(`agent-apply-plain-${run}`);
      const plain = await timed(() => {
        const dir = path.join(plainRoot, 'src');
        fs.mkdirSync(dir, { mode: 0o755 });
        const mtime = new Date();
        for (let i = 0; i < SMALL_FILES; i++) {
          const target = path.join(dir, `file-${i}.ts`);
          const temp = path.join(dir, `.tmp-file-${i}.ts`);
          fs.writeFileSync(temp, smallFile(i), { mode: 0o644 });
          fs.utimesSync(temp, mtime, mtime);
          fs.renameSync(temp, target);
        }
      });
      expect(fs.readdirSync(path.join(plainRoot, 'src'))).toHaveLength(SMALL_FILES);
      anchor.push(plain.ms);
    }
    record({
      name: `agent: apply ${SMALL_FILES} small files`,
      measures: `link.apply() of a directory and ${SMALL_FILES} files of ~25 bytes into an empty root under ${TREE_BASE}`,
      unit: 'ms',
      samples,
      baseline: { name: 'plain Node loop', measures: 'the same files written in this process the agent\'s way: temp file with its mode, mtime, rename', samples: anchor },
      targets: [{ figure: 'ratio', atMost: 5, note: 'at most 5× the same writes without the agent' }],
    });
  });

  it(`100 MB write and read, ${RUNS} runs`, async () => {
    const big = randomBytesFrom(7, BIG_BYTES);
    const digest = sha256(big);
    const root = tempDir('agent-big');
    const link = await agentOn(root);
    const writes: number[] = [];
    const reads: number[] = [];
    const catWrites: number[] = [];
    const catReads: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const written = await timed(() => link.apply([write(`big-${run}.bin`, big)]));
      expect(written.value.errors).toEqual([]);
      writes.push(written.ms);
      const read = await timed(async () => readAll(await link.read(`big-${run}.bin`)));
      expect(sha256(read.value)).toBe(digest);
      reads.push(read.ms);

      const file = path.join(root, `cat-${run}.bin`);
      catWrites.push((await timed(() => pipeThrough(['sh', '-c', 'cat > "$0"', file], big))).ms);
      const catRead = await timed(() => pipeThrough(['cat', file]));
      expect(sha256(catRead.value)).toBe(digest);
      catReads.push(catRead.ms);
      for (const name of [`big-${run}.bin`, `cat-${run}.bin`]) fs.rmSync(path.join(root, name));
    }
    const throughput = (samples: number[]) => round(BIG_BYTES / MB / (samples.reduce((a, b) => a + b, 0) / samples.length / 1000));
    record({
      name: 'agent: write 100 MB',
      measures: `link.apply() of one 100 MiB file (random content) under ${TREE_BASE}`,
      unit: 'ms',
      samples: writes,
      baseline: { name: 'cat > file', measures: 'the same bytes piped into `cat > file`', samples: catWrites },
      figures: { meanMBps: throughput(writes), baselineMeanMBps: throughput(catWrites) },
      targets: [{ figure: 'ratio', atMost: 3, note: 'at most 3× cat through a pipe' }],
    });
    record({
      name: 'agent: read 100 MB',
      measures: `link.read() of that file to the end, under ${TREE_BASE}`,
      unit: 'ms',
      samples: reads,
      baseline: { name: 'cat file', measures: 'the same file read from `cat`\'s stdout', samples: catReads },
      figures: { meanMBps: throughput(reads), baselineMeanMBps: throughput(catReads) },
      targets: [{ figure: 'ratio', atMost: 3, note: 'at most 3× cat through a pipe' }],
    });
  });
});
