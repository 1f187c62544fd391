import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalAgent, agentBundlePath, type LocalAgent } from '../../adapters/agent';
import { FrameDecoder, FrameType, encodeFrame, type Frame } from '../../adapters/agent/codec';
import type { SyncOp } from '../../server/ports';

/**
 * The sync agent's safety guarantees (docs/security.md), each against the built dist/agent.js as a
 * local process: it never acts outside its root even while something swaps a directory on the way
 * for a symlink, it refuses special files without blocking on them, and it answers every malformed
 * request with an error frame and keeps serving.
 */

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** Memory when the machine has it: the race needs many cheap file system calls. */
const BASE = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();

function tempDir(name: string): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(BASE, `nhd-safety-${name}-`)));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function agentOn(root: string): Promise<LocalAgent> {
  const agent = await startLocalAgent(root, { onLog: (text) => process.stderr.write(text) });
  cleanups.push(() => agent.link.close());
  return agent;
}

function write(p: string, content: string, mode = 0o644): SyncOp {
  const buffer = Buffer.from(content);
  return { op: 'write', path: p, mode, mtimeMs: Date.now(), size: buffer.length, open: () => Readable.from([buffer]) };
}

/** Everything about a tree that an op could change: entries, kinds, modes, sizes, inodes, times. */
function snapshot(dir: string): Record<string, string> {
  const result: Record<string, string> = {};
  const walk = (rel: string) => {
    const abs = rel === '' ? dir : path.join(dir, rel);
    const stat = fs.lstatSync(abs);
    result[rel || '.'] = `${stat.mode.toString(8)} ${stat.ino} ${stat.size} ${stat.mtimeMs} ${stat.ctimeMs}`;
    if (stat.isDirectory()) for (const name of fs.readdirSync(abs).sort()) walk(rel === '' ? name : `${rel}/${name}`);
  };
  walk('');
  return result;
}

/** What changed between two snapshots, one line per entry, so a failure says what leaked. */
function differences(before: Record<string, string>, after: Record<string, string>): string[] {
  const lines: string[] = [];
  for (const [rel, was] of Object.entries(before)) {
    if (!(rel in after)) lines.push(`${rel}: deleted`);
    else if (after[rel] !== was) lines.push(`${rel}: ${was} -> ${after[rel]}`);
  }
  for (const rel of Object.keys(after)) if (!(rel in before)) lines.push(`${rel}: new`);
  return lines.sort();
}

/** Fails after `ms` instead of waiting forever: a blocked agent must show as a failure, not a hang. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A separate process that swaps `root/d` between the real directory (parked at `root/parked`
 * while away) and a symlink to `outside`, `count` times or for `ms`, whichever comes first.
 */
function startRacer(root: string, outside: string, count: number, ms: number): { child: ChildProcess; done: Promise<number> } {
  const script = `
    const fs = require('fs');
    const [d, parked, outside, count, ms] = [process.argv[1], process.argv[2], process.argv[3], +process.argv[4], +process.argv[5]];
    const until = Date.now() + ms;
    let swaps = 0;
    for (; swaps < count && Date.now() < until; swaps++) {
      try { fs.renameSync(d, parked); } catch { continue; }
      try { fs.symlinkSync(outside, d); } catch {}
      for (let i = 0; i < 20; i++) fs.lstatSync(parked);
      try { fs.unlinkSync(d); } catch {}
      // The agent may have made a new d meanwhile (its parent is there, d is not): set it aside.
      for (let spare = 0; ; spare++) {
        try { fs.renameSync(parked, d); break; } catch { try { fs.renameSync(d, parked + '-spare-' + swaps + '-' + spare); } catch {} }
      }
      for (let i = 0; i < 20; i++) fs.lstatSync(d);
      if (swaps % 50 === 0) fs.writeSync(1, swaps + '\\n');
    }
    fs.writeSync(1, swaps + '\\n');
  `;
  const child = spawn(process.execPath, ['-e', script, path.join(root, 'd'), path.join(root, 'parked'), outside, String(count), String(ms)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (out += text));
  const done = new Promise<number>((resolve) => child.once('close', () => resolve(Number(out.trim().split('\n').pop()) || 0)));
  return { child, done };
}

describe('the sync agent never acts outside its root', () => {
  it('even while a directory on the way is swapped for a symlink to the outside', async () => {
    const root = tempDir('root');
    const outside = tempDir('outside');
    // The outside holds an entry for every name the ops below touch, so any op sent through the
    // link would change it: mkdir/chmod would change a mode, delete would remove a sentinel.
    const NAMES = 40;
    fs.writeFileSync(path.join(outside, 'f'), 'outside');
    fs.chmodSync(path.join(outside, 'f'), 0o640);
    for (let j = 0; j < NAMES; j++) {
      fs.mkdirSync(path.join(outside, `m${j}`), { mode: 0o700 });
      fs.chmodSync(path.join(outside, `m${j}`), 0o700);
      fs.mkdirSync(path.join(outside, `victim${j}`));
      fs.writeFileSync(path.join(outside, `victim${j}`, 'sentinel'), 'must survive');
      fs.writeFileSync(path.join(outside, `r${j}`), 'rename source');
    }
    const before = snapshot(outside);
    fs.mkdirSync(path.join(root, 'd'));
    fs.writeFileSync(path.join(root, 'd/f'), 'inside');
    const { link } = await agentOn(root);

    const racer = startRacer(root, outside, 200_000, 10_000);
    let applied = 0;
    let refused = 0;
    let batches = 0;
    const started = Date.now();
    for (let batch = 0; batch < 200 && Date.now() - started < 10_000; batch++) {
      const ops: SyncOp[] = [];
      for (let j = 0; j < NAMES; j++) {
        ops.push({ op: 'mkdir', path: `d/m${j}`, mode: batch % 2 ? 0o755 : 0o750 });
        ops.push({ op: 'chmod', path: 'd/f', mode: j % 2 ? 0o600 : 0o644 });
        ops.push({ op: 'chmod', path: `d/m${j}`, mode: 0o777 });
        ops.push(write(`d/r${j}`, 'inside'));
        ops.push({ op: 'rename', from: `d/r${j}`, to: `d/r${j}-renamed` });
        ops.push({ op: 'mkdir', path: `d/victim${j}`, mode: 0o755 });
        ops.push(write(`d/victim${j}/s`, 'x'));
        ops.push({ op: 'delete', path: `d/victim${j}` });
        ops.push({ op: 'symlink', path: `d/l${j}`, target: 'f' });
        ops.push({ op: 'delete', path: `d/l${j}` });
      }
      const result = await link.apply(ops);
      applied += result.applied;
      refused += result.errors.length;
      batches++;
      if (racer.child.exitCode !== null) break;
    }
    racer.child.kill('SIGKILL');
    const swaps = await racer.done;
    process.stderr.write(`[agent safety] ${swaps} swaps; ${batches} batches: ${applied} ops applied, ${refused} refused, in ${Date.now() - started} ms\n`);

    // The race ran: the racer swapped many times, and the agent did most of its work meanwhile.
    expect(swaps).toBeGreaterThan(100);
    expect(applied).toBeGreaterThan(1000);
    expect(differences(before, snapshot(outside))).toEqual([]);
  }, 30_000);
});

describe('the sync agent keeps serving', () => {
  it('refuses to read a FIFO without blocking on it, and serves the next read', async () => {
    const root = tempDir('fifo');
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    fs.writeFileSync(path.join(root, 'plain.txt'), 'still served');
    const { link } = await agentOn(root);

    // More reads than libuv has threads: a read that blocks on the FIFO would starve every later one.
    for (let i = 0; i < 6; i++) {
      await expect(within(3000, 'a read of a FIFO', link.read('pipe'))).rejects.toMatchObject({ code: 'not-a-file' });
    }
    const entries = await within(3000, 'an index hashing the FIFO', link.index({ hash: ['pipe', 'plain.txt'] }));
    expect(entries.map((e) => e.path).sort()).toEqual(['plain.txt']);
    const chunks: Buffer[] = [];
    for await (const chunk of await within(3000, 'a read after the FIFO', link.read('plain.txt'))) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('still served');
  });

  it('answers every malformed request with an error frame and keeps serving', async () => {
    const root = tempDir('malformed');
    const child = spawn(process.execPath, [agentBundlePath(), '--root', root], { stdio: ['pipe', 'pipe', 'inherit'] });
    cleanups.push(() => child.kill('SIGKILL'));
    const frames: Frame[] = [];
    const waiters: (() => void)[] = [];
    const decoder = new FrameDecoder(true);
    child.stdout.on('data', (chunk: Buffer) => {
      decoder.push(chunk);
      for (let frame = decoder.next(); frame; frame = decoder.next()) frames.push(frame);
      for (const wake of waiters.splice(0)) wake();
    });
    child.once('exit', () => {
      for (const wake of waiters.splice(0)) wake();
    });
    const answerTo = async (id: number): Promise<Frame> => {
      for (;;) {
        const found = frames.find((f) => f.id === id);
        if (found) return found;
        if (child.exitCode !== null) throw new Error(`the agent exited with code ${child.exitCode} before answering request ${id}`);
        await within(3000, `request ${id}`, new Promise<void>((resolve) => waiters.push(resolve)));
      }
    };
    const send = (id: number, payload: string) => {
      for (const buffer of encodeFrame(FrameType.Request, id, Buffer.from(payload))) child.stdin.write(buffer);
    };

    const malformed = ['null', '[]', '42', '"hello"', '{}', '{"op":"format-disk"}', '{"op":5}', 'not json', '{"op":"read"}', '{"op":"apply","ops":[null,7]}'];
    for (const [i, payload] of malformed.entries()) {
      send(i + 1, payload);
      const answer = await answerTo(i + 1);
      // A batch answers per op; everything else answers with an error frame.
      if (payload.startsWith('{"op":"apply"')) {
        expect(answer.type).toBe(FrameType.Result);
        expect(JSON.parse(answer.payload.toString())).toMatchObject({ applied: 0, errors: [{ code: 'bad-request' }, { code: 'bad-request' }] });
      } else {
        expect({ payload, type: answer.type }).toEqual({ payload, type: FrameType.Error });
        expect(JSON.parse(answer.payload.toString())).toMatchObject({ code: expect.any(String), message: expect.any(String) });
      }
    }
    send(100, '{"op":"hello"}');
    expect(JSON.parse((await answerTo(100)).payload.toString())).toMatchObject({ agent: 'nhd-agent', root });
    send(101, '{"op":"index"}');
    expect((await answerTo(101)).type).toBe(FrameType.Result);
  });
});
