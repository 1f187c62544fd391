import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { AgentError, StreamAgentLink, startExecAgent, startLocalAgent, type LocalAgent, type LocalAgentOptions } from '../../adapters/agent';
import type { Cluster, ExecProcess, IfUnchanged, SyncOp } from '../../server/ports';
import { FrameDecoder, FramingError, PREAMBLE, encodeFrame, type FrameType } from '../../adapters/agent/codec';

/**
 * The sync agent through the local transport: the built dist/agent.js as a child process, spoken
 * to over its stdin and stdout exactly as over a Kubernetes exec stream (`npm run build` first).
 */

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** Big trees go to memory when the machine has /dev/shm: making 100,000 files on a busy disk takes 30 s. */
const TREE_BASE = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();

function tempDir(name: string, base = os.tmpdir()): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(base, `nhd-agent-${name}-`)));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function agentOn(root: string, options: LocalAgentOptions = {}): Promise<LocalAgent> {
  const agent = await startLocalAgent(root, { onLog: (text) => process.stderr.write(text), ...options });
  cleanups.push(() => agent.link.close());
  return agent;
}

function write(p: string, content: Buffer | string, mode = 0o644, mtimeMs = Date.now()): SyncOp {
  const buffer = Buffer.from(content);
  return { op: 'write', path: p, mode, mtimeMs, size: buffer.length, open: () => Readable.from(chunked(buffer, 1024 * 1024)) };
}

function* chunked(buffer: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < buffer.length; offset += size) yield buffer.subarray(offset, offset + size);
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function leftoverTempFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => path.basename(f).startsWith('.nhd-tmp-'));
}

/** Directories of empty files, fast to make: `count` files in directories of 1,000. */
function makeTree(root: string, count: number): void {
  for (let i = 0; i < count; i++) {
    const dir = path.join(root, `d${Math.floor(i / 1000)}`);
    if (i % 1000 === 0) fs.mkdirSync(dir);
    fs.closeSync(fs.openSync(path.join(dir, `f${i}.txt`), 'w'));
  }
}

describe('sync agent over the local transport', () => {
  it('answers hello with its root and node version', async () => {
    const root = tempDir('hello');
    const { link } = await agentOn(root);
    expect(link.root).toBe(root);
    expect(link.agentNode).toBe(process.version);
  });

  it('indexes files, empty directories, symlinks and exec bits without following links', async () => {
    const root = tempDir('index');
    const outside = tempDir('outside');
    fs.writeFileSync(path.join(outside, 'secret'), 'no');
    fs.writeFileSync(path.join(root, 'a.txt'), 'hello');
    fs.writeFileSync(path.join(root, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    fs.chmodSync(path.join(root, 'run.sh'), 0o755);
    fs.mkdirSync(path.join(root, 'empty'));
    fs.mkdirSync(path.join(root, 'sub/deeper'), { recursive: true });
    fs.writeFileSync(path.join(root, 'sub/deeper/b.txt'), 'bb');
    fs.symlinkSync('a.txt', path.join(root, 'link-in'));
    fs.symlinkSync(outside, path.join(root, 'link-out'));
    const { link } = await agentOn(root);

    const entries = await link.index();
    const byPath = new Map(entries.map((e) => [e.path, e]));
    expect([...byPath.keys()].sort()).toEqual(['a.txt', 'empty', 'link-in', 'link-out', 'run.sh', 'sub', 'sub/deeper', 'sub/deeper/b.txt']);
    expect(byPath.get('a.txt')).toMatchObject({ kind: 'file', size: 5, mode: 0o644 });
    expect(byPath.get('run.sh')).toMatchObject({ kind: 'file', mode: 0o755 });
    expect(byPath.get('empty')).toMatchObject({ kind: 'dir', size: 0 });
    expect(byPath.get('link-in')).toMatchObject({ kind: 'symlink', target: 'a.txt', size: 0 });
    expect(byPath.get('link-out')).toMatchObject({ kind: 'symlink', target: outside });
    expect(byPath.get('a.txt')!.mtimeMs).toBe(Math.floor(fs.statSync(path.join(root, 'a.txt')).mtimeMs));
    expect(byPath.get('a.txt')!.hash).toBeUndefined();
    // Parents come before their children.
    const order = entries.map((e) => e.path);
    expect(order.indexOf('sub')).toBeLessThan(order.indexOf('sub/deeper'));
    expect(order.indexOf('sub/deeper')).toBeLessThan(order.indexOf('sub/deeper/b.txt'));
  });

  it('hashes all files, or only the listed ones', async () => {
    const root = tempDir('hash');
    fs.writeFileSync(path.join(root, 'a'), 'alpha');
    fs.mkdirSync(path.join(root, 'd'));
    fs.writeFileSync(path.join(root, 'd/b'), 'beta');
    const { link } = await agentOn(root);

    const all = new Map((await link.index({ hash: true })).map((e) => [e.path, e.hash]));
    expect(all.get('a')).toBe(sha256(Buffer.from('alpha')));
    expect(all.get('d/b')).toBe(sha256(Buffer.from('beta')));
    expect(all.get('d')).toBeUndefined();
    const listed = new Map((await link.index({ hash: ['d/b'] })).map((e) => [e.path, e.hash]));
    expect(listed.get('d/b')).toBe(sha256(Buffer.from('beta')));
    expect(listed.get('a')).toBeUndefined();
  });

  it('writes small, empty and 50 MB files with their mode and mtime, leaving no temp file', async () => {
    const root = tempDir('write');
    const { link } = await agentOn(root);
    const big = randomBytes(50 * 1024 * 1024);
    const mtimeMs = Date.UTC(2024, 0, 2, 3, 4, 5, 678);

    const result = await link.apply([
      write('small.txt', 'hi'),
      write('empty', ''),
      write('bin/tool', '#!/bin/sh\necho ok\n', 0o755, mtimeMs),
      write('big.bin', big, 0o600, mtimeMs),
    ]);

    expect(result).toEqual({ applied: 4, bytes: 2 + 0 + 18 + big.length, errors: [] });
    expect(fs.readFileSync(path.join(root, 'small.txt'), 'utf8')).toBe('hi');
    expect(fs.statSync(path.join(root, 'empty')).size).toBe(0);
    const tool = fs.statSync(path.join(root, 'bin/tool'));
    expect(tool.mode & 0o7777).toBe(0o755);
    expect(Math.floor(tool.mtimeMs)).toBe(mtimeMs);
    expect(sha256(fs.readFileSync(path.join(root, 'big.bin')))).toBe(sha256(big));
    expect(fs.statSync(path.join(root, 'big.bin')).mode & 0o7777).toBe(0o600);
    expect(leftoverTempFiles(root)).toEqual([]);
  });

  it('replaces a file atomically: a reader sees the old content or the new, never a part', async () => {
    const root = tempDir('atomic');
    const size = 16 * 1024 * 1024;
    const file = path.join(root, 'data.bin');
    fs.writeFileSync(file, Buffer.alloc(size, 'A'));
    const { link } = await agentOn(root);

    let done = false;
    const seen = new Set<string>();
    const reader = (async () => {
      while (!done) {
        const content = fs.readFileSync(file);
        const first = String.fromCharCode(content[0]!);
        const last = String.fromCharCode(content[content.length - 1]!);
        seen.add(`${content.length}:${first}${last}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const result = await link.apply([write('data.bin', Buffer.alloc(size, 'B'))]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    done = true;
    await reader;

    expect(result.errors).toEqual([]);
    expect([...seen].every((s) => s === `${size}:AA` || s === `${size}:BB`)).toBe(true);
    expect(seen.has(`${size}:BB`)).toBe(true);
    expect(leftoverTempFiles(root)).toEqual([]);
  });

  it('keeps the old content when the sender abandons a write midway', async () => {
    const root = tempDir('abandon');
    fs.writeFileSync(path.join(root, 'keep.txt'), 'old');
    const { link } = await agentOn(root);
    const failing: SyncOp = {
      op: 'write',
      path: 'keep.txt',
      mode: 0o644,
      mtimeMs: Date.now(),
      size: 10,
      open: () =>
        new Readable({
          read() {
            this.push(Buffer.from('new'));
            this.destroy(new Error('disk gone'));
          },
        }),
    };
    const result = await link.apply([failing, write('after.txt', 'ok')]);
    expect(result.applied).toBe(1);
    expect(result.errors).toEqual([expect.objectContaining({ path: 'keep.txt', code: 'source' })]);
    expect(fs.readFileSync(path.join(root, 'keep.txt'), 'utf8')).toBe('old');
    expect(fs.readFileSync(path.join(root, 'after.txt'), 'utf8')).toBe('ok');
    expect(leftoverTempFiles(root)).toEqual([]);
  });

  it('refuses a write whose content does not match its size, keeping the old file', async () => {
    const root = tempDir('size');
    fs.writeFileSync(path.join(root, 'f'), 'old');
    const { link } = await agentOn(root);
    const result = await link.apply([{ ...write('f', 'newer'), size: 99 } as SyncOp]);
    expect(result.errors).toEqual([expect.objectContaining({ path: 'f', code: 'size-mismatch' })]);
    expect(fs.readFileSync(path.join(root, 'f'), 'utf8')).toBe('old');
    expect(leftoverTempFiles(root)).toEqual([]);
  });

  it('refuses a write or delete whose target changed since the sender looked (ifUnchanged), touching nothing', async () => {
    const root = tempDir('guard');
    fs.writeFileSync(path.join(root, 'edited'), 'edited over here');
    fs.utimesSync(path.join(root, 'edited'), new Date(), new Date(1_700_000_000_000));
    fs.writeFileSync(path.join(root, 'kept'), 'keep me');
    fs.writeFileSync(path.join(root, 'appeared'), 'new here');
    fs.writeFileSync(path.join(root, 'same'), 'as seen');
    fs.utimesSync(path.join(root, 'same'), new Date(), new Date(1_700_000_000_000));
    const { link } = await agentOn(root);
    const seen = { kind: 'file' as const, size: 7, mtimeMs: 1_700_000_000_000 };
    const guardedWrite = (p: string, content: string, ifUnchanged: IfUnchanged): SyncOp => ({ ...(write(p, content) as Extract<SyncOp, { op: 'write' }>), ifUnchanged });
    const result = await link.apply([
      guardedWrite('edited', 'from the other side', { ...seen, size: 3 }),
      { op: 'delete', path: 'kept', ifUnchanged: { ...seen, mtimeMs: 1 } },
      guardedWrite('appeared', 'from the other side', null),
      guardedWrite('same', 'replaced', seen),
      guardedWrite('fresh', 'created', null),
    ]);
    expect(result.errors.map((e) => `${e.path}:${e.code}`).sort()).toEqual(['appeared:changed', 'edited:changed', 'kept:changed']);
    expect(result.applied).toBe(2);
    expect(fs.readFileSync(path.join(root, 'edited'), 'utf8')).toBe('edited over here');
    expect(fs.readFileSync(path.join(root, 'kept'), 'utf8')).toBe('keep me');
    expect(fs.readFileSync(path.join(root, 'appeared'), 'utf8')).toBe('new here');
    expect(fs.readFileSync(path.join(root, 'same'), 'utf8')).toBe('replaced');
    expect(fs.readFileSync(path.join(root, 'fresh'), 'utf8')).toBe('created');
    expect(leftoverTempFiles(root)).toEqual([]);
  });

  it('serves concurrent requests: two batches streaming at once and an index meanwhile', async () => {
    const root = tempDir('concurrent');
    const { link } = await agentOn(root);
    const a = randomBytes(8 * 1024 * 1024);
    const b = randomBytes(8 * 1024 * 1024);
    const [ra, rb, index] = await Promise.all([
      link.apply([write('a/one.bin', a), write('a/small', 'a')]),
      link.apply([write('b/two.bin', b), write('b/small', 'b')]),
      link.index(),
    ]);
    expect(ra.errors).toEqual([]);
    expect(rb.errors).toEqual([]);
    expect(Array.isArray(index)).toBe(true);
    expect(sha256(fs.readFileSync(path.join(root, 'a/one.bin')))).toBe(sha256(a));
    expect(sha256(fs.readFileSync(path.join(root, 'b/two.bin')))).toBe(sha256(b));
    expect(fs.readFileSync(path.join(root, 'b/small'), 'utf8')).toBe('b');
  });

  it('refuses a batch too large for one frame, and keeps serving', async () => {
    const root = tempDir('too-large');
    const { link } = await agentOn(root);
    await expect(link.apply([{ op: 'symlink', path: 'x', target: 'a'.repeat(65 * 1024 * 1024) }])).rejects.toMatchObject({ code: 'too-large' });
    expect((await link.apply([write('ok', 'ok')])).errors).toEqual([]);
  });

  // The agent runs on whatever node the sidecar image has and claims Node >= 18 (its bundle's
  // target), while the daemon and these tests run on the pinned Node 24. A test that fell back to
  // this process's node would prove nothing about that claim, so it needs a real older node (the
  // system's: Debian's nodejs, 18 on bookworm; 20 on this machine) and fails when there is none.
  it('runs on an older node (>= 18, older than the daemon needs)', async () => {
    const older = olderNode();
    const root = tempDir('older-node');
    const { link } = await agentOn(root, { node: older.path, env: { NHD_AGENT_WATCH: 'per-directory' } });
    expect(link.agentNode).toBe(older.version);
    expect(majorOf(link.agentNode)).toBeLessThan(22);
    expect((await link.apply([write('x/y', 'z', 0o755)])).errors).toEqual([]);
    expect((await link.index()).map((e) => e.path)).toEqual(['x', 'x/y']);
  });

  it('makes directories, symlinks, deletes, renames and changes modes', async () => {
    const root = tempDir('ops');
    fs.writeFileSync(path.join(root, 'old.txt'), 'x');
    fs.writeFileSync(path.join(root, 'target.txt'), 't');
    fs.writeFileSync(path.join(root, 'becomes-link'), 'file first');
    fs.mkdirSync(path.join(root, 'tree/inner'), { recursive: true });
    fs.writeFileSync(path.join(root, 'tree/inner/f'), 'f');
    fs.symlinkSync('target.txt', path.join(root, 'doomed-link'));
    const { link } = await agentOn(root);

    const result = await link.apply([
      { op: 'mkdir', path: 'made/deep', mode: 0o700 },
      { op: 'symlink', path: 'made/link', target: '../target.txt' },
      { op: 'symlink', path: 'becomes-link', target: 'target.txt' },
      { op: 'delete', path: 'doomed-link' },
      { op: 'delete', path: 'tree' },
      { op: 'delete', path: 'never-existed' },
      { op: 'rename', from: 'old.txt', to: 'moved/new.txt' },
      { op: 'chmod', path: 'target.txt', mode: 0o750 },
    ]);

    expect(result).toEqual({ applied: 8, bytes: 0, errors: [] });
    expect(fs.statSync(path.join(root, 'made/deep')).mode & 0o7777).toBe(0o700);
    expect(fs.readlinkSync(path.join(root, 'made/link'))).toBe('../target.txt');
    expect(fs.readlinkSync(path.join(root, 'becomes-link'))).toBe('target.txt');
    expect(fs.existsSync(path.join(root, 'doomed-link'))).toBe(false);
    expect(fs.readFileSync(path.join(root, 'target.txt'), 'utf8')).toBe('t');
    expect(fs.existsSync(path.join(root, 'tree'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'old.txt'))).toBe(false);
    expect(fs.readFileSync(path.join(root, 'moved/new.txt'), 'utf8')).toBe('x');
    expect(fs.statSync(path.join(root, 'target.txt')).mode & 0o7777).toBe(0o750);
    expect(leftoverTempFiles(root)).toEqual([]);
  });

  it('refuses every path that would leave the root, writes nothing outside, and applies the rest', async () => {
    const root = tempDir('escape');
    const outside = tempDir('escape-outside');
    fs.writeFileSync(path.join(outside, 'x'), 'outside');
    fs.symlinkSync(outside, path.join(root, 'link-to-outside'));
    fs.mkdirSync(path.join(root, 'a'));
    fs.mkdirSync(path.join(root, 'inner'));
    fs.symlinkSync('inner', path.join(root, 'link-to-inner'));
    const { link } = await agentOn(root);
    const escapes = ['/etc/x', '../x', 'a/../../x', 'link-to-outside/x', 'link-to-outside/new/deeper', `${outside}/y`, 'a/\0x'];

    const ops: SyncOp[] = [
      ...escapes.map((p) => write(p, 'pwned')),
      ...escapes.map((p): SyncOp => ({ op: 'mkdir', path: p, mode: 0o755 })),
      ...escapes.map((p): SyncOp => ({ op: 'symlink', path: p, target: '/etc/passwd' })),
      ...escapes.map((p): SyncOp => ({ op: 'delete', path: p })),
      ...escapes.map((p): SyncOp => ({ op: 'chmod', path: p, mode: 0o777 })),
      ...escapes.map((p): SyncOp => ({ op: 'rename', from: 'a', to: p })),
      ...escapes.map((p): SyncOp => ({ op: 'rename', from: p, to: 'stolen' })),
      { op: 'write', path: 'link-to-inner/through', mode: 0o644, mtimeMs: 0, size: 1, open: () => Readable.from([Buffer.from('x')]) },
      write('fine.txt', 'still applied'),
    ];
    const result = await link.apply(ops);

    expect(result.applied).toBe(1);
    expect(result.errors).toHaveLength(ops.length - 1);
    expect(new Set(result.errors.map((e) => e.code))).toEqual(new Set(['path-escape']));
    expect(fs.readFileSync(path.join(root, 'fine.txt'), 'utf8')).toBe('still applied');
    expect(fs.readdirSync(outside)).toEqual(['x']);
    expect(fs.readFileSync(path.join(outside, 'x'), 'utf8')).toBe('outside');
    expect(fs.statSync(path.join(outside, 'x')).mode & 0o777).toBe(0o644);
    expect(fs.existsSync(path.join(root, 'inner/through'))).toBe(false);
    expect(fs.existsSync('/etc/x')).toBe(false);
    expect(fs.existsSync(path.join(path.dirname(root), 'x'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'a'))).toBe(true);
    expect(leftoverTempFiles(root)).toEqual([]);

    for (const p of ['/etc/passwd', '../x', 'link-to-outside/x']) {
      await expect(link.read(p)).rejects.toMatchObject({ code: 'path-escape' });
    }
    const hashed = await link.index({ hash: ['link-to-outside/x'] });
    expect(hashed.some((e) => e.path.startsWith('link-to-outside/'))).toBe(false);
  });

  it('streams a file back, and says why it cannot', async () => {
    const root = tempDir('read');
    const content = randomBytes(5 * 1024 * 1024 + 17);
    fs.writeFileSync(path.join(root, 'blob'), content);
    fs.symlinkSync('blob', path.join(root, 'blob-link'));
    fs.mkdirSync(path.join(root, 'dir'));
    const { link } = await agentOn(root);

    expect(sha256(await readAll(await link.read('blob')))).toBe(sha256(content));
    await expect(link.read('missing')).rejects.toMatchObject({ code: 'not-found' });
    await expect(link.read('blob-link')).rejects.toMatchObject({ code: 'is-symlink' });
    await expect(link.read('dir')).rejects.toMatchObject({ code: 'not-a-file' });
  });

  it('keeps serving after a reader gives up midway', async () => {
    const root = tempDir('read-abandon');
    fs.writeFileSync(path.join(root, 'big'), randomBytes(20 * 1024 * 1024));
    const { link } = await agentOn(root);
    const stream = (await link.read('big')) as PassThrough;
    for await (const _chunk of stream) break;
    expect(stream.destroyed).toBe(true);
    expect((await link.index()).map((e) => e.path)).toEqual(['big']);
    expect((await readAll(await link.read('big'))).length).toBe(20 * 1024 * 1024);
  });

  it.each([
    ['recursive', {}],
    ['per-directory (the Node 18 way)', { NHD_AGENT_WATCH: 'per-directory' }],
  ])('reports changes made on the agent side, watching %s', async (_mode, env) => {
    const root = tempDir('watch');
    fs.mkdirSync(path.join(root, 'src'));
    const { link } = await agentOn(root, { env });
    const seen: string[] = [];
    link.onRemoteChange((paths) => seen.push(...paths));
    // The watch request is asynchronous; poll with fresh changes until one is reported.
    const deadline = Date.now() + 10_000;
    let n = 0;
    while (!seen.includes(`src/changed-${n}.txt`) && Date.now() < deadline) {
      n++;
      fs.writeFileSync(path.join(root, `src/changed-${n}.txt`), 'remote edit');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen).toContain(`src/changed-${n}.txt`);
    // A directory made later is watched too, with the files made in it.
    fs.mkdirSync(path.join(root, 'src/new/deeper'), { recursive: true });
    fs.writeFileSync(path.join(root, 'src/new/deeper/file.txt'), 'x');
    const until = Date.now() + 5_000;
    while (!seen.includes('src/new/deeper/file.txt') && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toContain('src/new/deeper/file.txt');
    await link.apply([write('src/applied.txt', 'from the daemon')]);
    // A change made after the write must arrive: the watch was live, and anything it reported for the
    // write (its temp file included) came before it.
    fs.writeFileSync(path.join(root, 'src/after-apply.txt'), 'x');
    const after = Date.now() + 5_000;
    while (!seen.includes('src/after-apply.txt') && Date.now() < after) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toContain('src/after-apply.txt');
    expect(seen.every((p) => !p.includes('.nhd-tmp-'))).toBe(true);
  });

  it.each([
    ['recursive', {}],
    ['per-directory', { NHD_AGENT_WATCH: 'per-directory' }],
  ])('reports a removed root as the whole root (""), watching %s', async (_mode, env) => {
    const root = tempDir('watch-root');
    const { link } = await agentOn(root, { env });
    const seen: string[] = [];
    link.onRemoteChange((paths) => seen.push(...paths));
    await new Promise((resolve) => setTimeout(resolve, 200));
    fs.rmSync(root, { recursive: true });
    const deadline = Date.now() + 5_000;
    while (!seen.includes('') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toContain('');
    expect(seen.every((p) => p === '')).toBe(true);
  });

  it('resolves closed and rejects pending requests promptly when the agent is killed', async () => {
    const root = tempDir('kill');
    const { link, pid } = await agentOn(root);
    const neverEnding = new PassThrough();
    neverEnding.write(Buffer.alloc(1024));
    const pending = link.apply([{ op: 'write', path: 'half', mode: 0o644, mtimeMs: 0, size: 1 << 30, open: () => neverEnding }]);
    const pendingOutcome = pending.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');

    const { reason } = await link.closed;
    const outcome = await pendingOutcome;
    expect(Date.now() - killedAt).toBeLessThan(2_000);
    expect(reason).toBe('The sync agent was killed by SIGKILL.');
    expect(outcome).toBeInstanceOf(AgentError);
    expect((outcome as AgentError).code).toBe('closed');
    await expect(link.index()).rejects.toMatchObject({ code: 'closed' });
    neverEnding.destroy();
  });

  it('refuses a stream that is not the agent, and an agent that never answers', async () => {
    const garbage = new PassThrough();
    const silentIn = new PassThrough();
    garbage.write('sh: node: not found\n');
    await expect(StreamAgentLink.connect({ input: new PassThrough(), output: garbage, exited: new Promise(() => {}) })).rejects.toThrow(
      /does not start with its preamble; it began with: "sh: node: not found"/,
    );
    const started = Date.now();
    await expect(
      StreamAgentLink.connect({ input: silentIn, output: new PassThrough(), exited: new Promise(() => {}) }, { helloTimeoutMs: 200 }),
    ).rejects.toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('says what the agent printed when it dies before answering', async () => {
    const fileAsRoot = path.join(tempDir('bad-root'), 'file');
    fs.writeFileSync(fileAsRoot, 'not a directory');
    await expect(startLocalAgent(fileAsRoot)).rejects.toThrow(/exited with code 1\. Its last output: "nhd-agent: The root .* cannot be used: EEXIST.*"/);
  });

  it('close() ends the agent and the link', async () => {
    const root = tempDir('close');
    const { link, pid } = await agentOn(root);
    link.close();
    expect((await link.closed).reason).toMatch(/closed by the daemon/);
    await expect(link.index()).rejects.toBeInstanceOf(AgentError);
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline && isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(isAlive(pid)).toBe(false);
  });

  it('indexes 100,000 files', async () => {
    const root = tempDir('100k', TREE_BASE);
    makeTree(root, 100_000);
    const { link } = await agentOn(root);
    const started = performance.now();
    const entries = await link.index();
    const ms = performance.now() - started;
    expect(entries.filter((e) => e.kind === 'file')).toHaveLength(100_000);
    expect(entries).toHaveLength(100_100);
    process.stderr.write(`[agent measure] index of 100,000 files in ${TREE_BASE}: ${ms.toFixed(0)} ms\n`);
  });
});

/**
 * Cluster.exec as a local process: the command runs on this machine with the same streams, which
 * exercises the exec transport's upload and framing without a cluster.
 */
function localExec(commands: string[][]): Pick<Cluster, 'exec'> {
  return {
    async exec(_context, _namespace, _pod, _container, command, streams): Promise<ExecProcess> {
      commands.push(command);
      const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
      streams.stdin?.pipe(child.stdin);
      child.stdout.pipe(streams.stdout, { end: false });
      if (streams.stderr) child.stderr.pipe(streams.stderr, { end: false });
      const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
      return { exited, resize: () => undefined, close: () => child.kill('SIGKILL') };
    },
  };
}

describe('agent codec', () => {
  it('decodes frames however the byte stream is cut', () => {
    const frames = Array.from({ length: 200 }, (_, i) => ({
      type: (i % 6) + 1,
      id: (i * 7919) >>> 0,
      payload: randomBytes(i % 3 === 0 ? 300_000 : i % 50),
    }));
    const bytes = Buffer.concat([PREAMBLE, ...frames.flatMap((f) => encodeFrame(f.type as FrameType, f.id, f.payload))]);
    const decoder = new FrameDecoder(true);
    const decoded: { type: number; id: number; payload: Buffer }[] = [];
    for (let offset = 0; offset < bytes.length; ) {
      const size = 1 + Math.floor(Math.random() * 100_000);
      decoder.push(bytes.subarray(offset, offset + size));
      offset += size;
      for (let frame = decoder.next(); frame; frame = decoder.next()) decoded.push({ ...frame, payload: Buffer.from(frame.payload) });
    }
    expect(decoded).toEqual(frames);
  });

  it('refuses a stream that is not frames', () => {
    const decoder = new FrameDecoder(false);
    decoder.push(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 1]));
    expect(() => decoder.next()).toThrow(FramingError);
  });
});

describe('sync agent over an exec transport', () => {
  it('uploads the bundle under its content hash, runs it and syncs through it', async () => {
    const root = tempDir('exec-root');
    const uploads = tempDir('exec-uploads');
    const commands: string[][] = [];
    const target = { context: 'ctx', namespace: 'ns', pod: 'pod', container: 'nhd-sync' };
    const link = await startExecAgent(localExec(commands), target, root, { node: process.execPath, directory: uploads });
    cleanups.push(() => link.close());

    expect(link.root).toBe(root);
    const [uploaded] = fs.readdirSync(uploads);
    expect(uploaded).toMatch(/^agent-[0-9a-f]{16}\.js$/);
    expect(commands[1]).toEqual([process.execPath, path.join(uploads, uploaded!), '--root', root]);
    expect((await link.apply([write('hello.txt', 'over exec')])).errors).toEqual([]);
    expect(fs.readFileSync(path.join(root, 'hello.txt'), 'utf8')).toBe('over exec');
    link.close();
    expect((await link.closed).reason).toMatch(/closed by the daemon/);
  });

  it('says why an upload failed', async () => {
    const blocker = path.join(tempDir('exec-blocked'), 'file');
    fs.writeFileSync(blocker, 'a file where the directory should be');
    const target = { context: 'ctx', namespace: 'ns', pod: 'pod', container: 'nhd-sync' };
    await expect(startExecAgent(localExec([]), target, '/work', { directory: blocker })).rejects.toThrow(/Uploading the sync agent to pod\/nhd-sync:.*failed \(exit 1\): .+/);
  });
});

const majorOf = (version: string) => Number(/^v(\d+)\./.exec(version)?.[1]);

/**
 * A node older than the daemon's minimum (22) and no older than the agent's (18): NHD_OLDER_NODE, else the
 * system's. Throws, saying what to install, when there is none.
 */
function olderNode(): { path: string; version: string } {
  const candidates = [process.env['NHD_OLDER_NODE'], '/usr/bin/node', '/usr/local/bin/node'].filter((p): p is string => !!p && fs.existsSync(p));
  const found = candidates.map((p) => ({ path: p, version: execFileSync(p, ['--version'], { encoding: 'utf8' }).trim() }));
  const older = found.find((n) => majorOf(n.version) >= 18 && majorOf(n.version) < 22);
  if (!older) {
    const seen = found.map((n) => `${n.path} (${n.version})`).join(', ') || 'none';
    throw new Error(`No node >= 18 and < 22 to run the agent on (found: ${seen}). Install Debian's nodejs (scripts/install-deps.sh does) or set NHD_OLDER_NODE.`);
  }
  return older;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
