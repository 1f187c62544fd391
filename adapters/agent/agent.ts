/**
 * The sync agent: `node agent.js --root DIR`, run inside the sidecar (or locally in tests). It
 * reads frames (./codec) on stdin, writes frames on stdout and logs only to stderr. It owns its
 * root: it lists it, applies sync ops to it atomically, streams files back and watches it.
 *
 * Bundled alone into dist/agent.js for Node >= 18; it imports only node built-ins and ./codec.
 *
 * Path safety holds for every op: a path must be relative, `/`-separated, free of `..`, `.`,
 * empty segments and NUL, and no existing directory on its way may be a symlink. A symlink's
 * target is stored as given, but the agent never writes, reads or hashes THROUGH a symlink.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import {
  AGENT_PROTOCOL_VERSION,
  CHUNK_SIZE,
  FrameDecoder,
  FrameType,
  INDEX_CHUNK_ENTRIES,
  PREAMBLE,
  TEMP_PREFIX,
  decodeJson,
  encodeFrame,
  encodeJson,
  type AgentRequest,
  type ApplyResult,
  type Frame,
  type HelloResult,
  type ReadHeader,
  type WireError,
  type WireIndexEntry,
  type WireOpError,
  type WireIfUnchanged,
  type WireSyncOp,
} from './codec';

const O_NOFOLLOW = fs.constants.O_NOFOLLOW;

function log(message: string): void {
  process.stderr.write(`nhd-agent: ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Output. stdout is this program's frame channel (the daemon's stdout is never touched here).

const frameOut: NodeJS.WritableStream = process.stdout;

/** Writes one frame; resolves once the stream can take more, which is the backpressure. */
function send(type: FrameType, id: number, payload: Buffer): Promise<void> {
  let ready = true;
  for (const buffer of encodeFrame(type, id, payload)) ready = frameOut.write(buffer);
  if (ready) return Promise.resolve();
  return new Promise((resolve) => frameOut.once('drain', resolve));
}

const sendJson = (type: FrameType, id: number, value: unknown) => send(type, id, encodeJson(value));

// ---------------------------------------------------------------------------------------------
// Path safety.

class OpError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The segments of a relative path, or an OpError saying why it is refused. */
function segmentsOf(rel: unknown): string[] {
  if (typeof rel !== 'string' || rel === '') throw new OpError('bad-path', 'The path is empty or not a string.');
  if (rel.includes('\0')) throw new OpError('path-escape', `The path ${JSON.stringify(rel)} contains a NUL byte.`);
  if (rel.startsWith('/')) throw new OpError('path-escape', `The path ${rel} is absolute; paths are relative to the root.`);
  const segments = rel.split('/');
  for (const s of segments) {
    if (s === '..') throw new OpError('path-escape', `The path ${rel} contains "..".`);
    if (s === '' || s === '.') throw new OpError('bad-path', `The path ${rel} has an empty or "." segment.`);
  }
  return segments;
}

class Root {
  constructor(readonly dir: string) {}

  /**
   * The absolute path of `rel` after checking that every directory above it is a real directory
   * inside the root, never a symlink. With `create`, missing directories are made (0755);
   * without, a missing one is reported as `not-found`. `verified` lets a batch skip directories it
   * already checked; the batch clears it whenever one of its ops may have changed a link.
   */
  async resolve(rel: unknown, create: boolean, verified?: Set<string>): Promise<string> {
    const segments = segmentsOf(rel);
    let current = this.dir;
    for (let i = 0; i < segments.length - 1; i++) {
      const next = path.join(current, segments[i]!);
      if (!verified?.has(next)) {
        await this.checkDirectory(next, segments.slice(0, i + 1).join('/'), create);
        verified?.add(next);
      }
      current = next;
    }
    return path.join(current, segments[segments.length - 1]!);
  }

  private async checkDirectory(abs: string, rel: string, create: boolean): Promise<void> {
    let stat: fs.Stats;
    try {
      stat = await fsp.lstat(abs);
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw error;
      if (!create) throw new OpError('not-found', `The directory ${rel} does not exist.`);
      try {
        await fsp.mkdir(abs, 0o755);
      } catch (mkdirError) {
        if (errnoOf(mkdirError) !== 'EEXIST') throw mkdirError;
      }
      stat = await fsp.lstat(abs);
    }
    if (stat.isSymbolicLink()) {
      const real = await fsp.realpath(abs).catch(() => undefined);
      const inside = real !== undefined && (real === this.dir || real.startsWith(this.dir + path.sep));
      throw new OpError(
        'path-escape',
        inside
          ? `The path goes through the symlink ${rel}; the agent never writes or reads through symlinks.`
          : `The path goes through the symlink ${rel}, which leads outside the root.`,
      );
    }
    if (!stat.isDirectory()) throw new OpError('not-a-directory', `${rel} is not a directory.`);
  }

  /**
   * Re-checks, just before a rename, that the directory still resolves to itself: a directory
   * swapped for a symlink since the check (by something else in the container) is caught here.
   */
  async recheck(parent: string): Promise<void> {
    if (parent === this.dir) return;
    const real = await fsp.realpath(parent);
    if (real !== parent) throw new OpError('path-escape', `${path.relative(this.dir, parent)} changed into a symlink during the op.`);
  }

  recheckSync(parent: string): void {
    if (parent === this.dir) return;
    const real = fs.realpathSync.native(parent);
    if (real !== parent) throw new OpError('path-escape', `${path.relative(this.dir, parent)} changed into a symlink during the op.`);
  }
}

function errnoOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

/** An op's failure as the daemon sees it: our own refusals keep their code, errno maps to a few. */
function toOpError(error: unknown, rel: string): WireOpError {
  if (error instanceof OpError) return { path: rel, code: error.code, message: error.message };
  const errno = errnoOf(error);
  const code = errno === 'ENOENT' ? 'not-found' : errno === 'ENOTDIR' ? 'not-a-directory' : errno === 'EACCES' || errno === 'EPERM' ? 'permission' : 'io';
  const message = error instanceof Error ? error.message : String(error);
  return { path: rel, code, message };
}

const tempName = () => TEMP_PREFIX + randomBytes(8).toString('hex');

/** Temp files being written, removed on exit so a killed batch leaves nothing behind. */
const liveTempFiles = new Set<string>();

// ---------------------------------------------------------------------------------------------
// Content of a write, arriving as Data frames closed by an End frame.

type ContentItem = Buffer | { end: true; error?: WireError };

/**
 * Hands a request's content frames to its apply task one at a time. `push` resolves only when the
 * task has taken the item, so the frame reader (and with it stdin) waits for the disk: that is the
 * backpressure towards the daemon.
 */
class ContentQueue {
  private items: ContentItem[] = [];
  private taken: (() => void)[] = [];
  private waiter: ((item: ContentItem) => void) | undefined;
  private discarding = false;

  push(item: ContentItem): Promise<void> {
    if (this.discarding) return Promise.resolve();
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter(item);
      return Promise.resolve();
    }
    this.items.push(item);
    return new Promise((resolve) => this.taken.push(resolve));
  }

  next(): Promise<ContentItem> {
    const item = this.items.shift();
    if (item !== undefined) {
      this.taken.shift()?.();
      return Promise.resolve(item);
    }
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** Drops the current file's remaining content. */
  async skipFile(): Promise<void> {
    for (;;) {
      const item = await this.next();
      if (!Buffer.isBuffer(item)) return;
    }
  }

  /** The task is done: anything still arriving for it is dropped. */
  close(): void {
    this.discarding = true;
    this.items = [];
    for (const resolve of this.taken.splice(0)) resolve();
  }
}

// ---------------------------------------------------------------------------------------------
// Ops.

async function applyOps(root: Root, ops: WireSyncOp[], content: ContentQueue): Promise<ApplyResult> {
  const result: ApplyResult = { applied: 0, bytes: 0, errors: [] };
  const verified = new Set<string>();
  for (const op of ops) {
    const rel = op.op === 'rename' ? op.from : op.path;
    if (op.op === 'delete' || op.op === 'rename' || op.op === 'symlink') verified.clear();
    try {
      if (op.op === 'write') result.bytes += await writeFile(root, op, content, verified);
      else await applyOne(root, op, verified);
      result.applied++;
    } catch (error) {
      result.errors.push(toOpError(error, rel));
    }
  }
  return result;
}

/**
 * Files up to this size are taken whole and written with synchronous calls: each awaited fs call is a round trip
 * through the thread pool, and for small files those round trips, not bytes, were the cost (node_modules-like
 * trees synced at an eighth of tar's speed).
 */
const SMALL_FILE = 1024 * 1024;

/** Writes to a temp file next to the target, sets mode and mtime, then renames over the target. */
async function writeFile(root: Root, op: Extract<WireSyncOp, { op: 'write' }>, content: ContentQueue, verified: Set<string>): Promise<number> {
  let target: string;
  try {
    target = await root.resolve(op.path, true, verified);
  } catch (error) {
    await content.skipFile();
    throw error;
  }
  if (op.size <= SMALL_FILE) return writeSmallFile(root, op, content, target);
  const parent = path.dirname(target);
  const temp = path.join(parent, tempName());
  let handle: fsp.FileHandle | undefined;
  liveTempFiles.add(temp);
  try {
    try {
      handle = await fsp.open(temp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | O_NOFOLLOW, 0o600);
    } catch (error) {
      await content.skipFile();
      throw error;
    }
    let written = 0;
    for (;;) {
      const item = await content.next();
      if (!Buffer.isBuffer(item)) {
        if (item.error) throw new OpError(item.error.code || 'aborted', `The sender abandoned ${op.path}: ${item.error.message}`);
        break;
      }
      await handle.write(item);
      written += item.length;
    }
    if (written !== op.size) throw new OpError('size-mismatch', `${op.path}: expected ${op.size} bytes, received ${written}; it changed while being sent.`);
    await handle.chmod(op.mode & 0o7777);
    await handle.utimes(new Date(), new Date(op.mtimeMs));
    await handle.close();
    handle = undefined;
    await root.recheck(parent);
    await checkUnchanged(target, op.path, op.ifUnchanged);
    await fsp.rename(temp, target);
    liveTempFiles.delete(temp);
    return written;
  } finally {
    if (handle) await handle.close().catch(() => undefined);
    if (liveTempFiles.delete(temp)) await fsp.unlink(temp).catch(() => undefined);
  }
}

/** writeFile for a small file: its content first, then one synchronous open-write-chmod-utimes-close-rename. */
async function writeSmallFile(root: Root, op: Extract<WireSyncOp, { op: 'write' }>, content: ContentQueue, target: string): Promise<number> {
  const chunks: Buffer[] = [];
  let written = 0;
  for (;;) {
    const item = await content.next();
    if (!Buffer.isBuffer(item)) {
      if (item.error) throw new OpError(item.error.code || 'aborted', `The sender abandoned ${op.path}: ${item.error.message}`);
      break;
    }
    chunks.push(item);
    written += item.length;
  }
  if (written !== op.size) throw new OpError('size-mismatch', `${op.path}: expected ${op.size} bytes, received ${written}; it changed while being sent.`);
  const parent = path.dirname(target);
  const temp = path.join(parent, tempName());
  liveTempFiles.add(temp);
  try {
    const fd = fs.openSync(temp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | O_NOFOLLOW, 0o600);
    try {
      for (const chunk of chunks) fs.writeSync(fd, chunk);
      fs.fchmodSync(fd, op.mode & 0o7777);
      fs.futimesSync(fd, new Date(), new Date(op.mtimeMs));
    } finally {
      fs.closeSync(fd);
    }
    root.recheckSync(parent);
    checkUnchangedSync(target, op.path, op.ifUnchanged);
    fs.renameSync(temp, target);
    liveTempFiles.delete(temp);
    return written;
  } finally {
    if (liveTempFiles.delete(temp)) {
      try {
        fs.unlinkSync(temp);
      } catch {
        // Already gone.
      }
    }
  }
}

function checkUnchangedSync(target: string, rel: string, expected: WireIfUnchanged | undefined): void {
  if (expected === undefined) return;
  let stat: fs.Stats | undefined;
  try {
    stat = fs.lstatSync(target);
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw error;
  }
  assertUnchanged(stat, rel, expected);
}

function assertUnchanged(stat: fs.Stats | undefined, rel: string, expected: WireIfUnchanged): void {
  if (expected === null) {
    if (stat) throw new OpError('changed', `${rel} appeared on this side since the last sync; not overwritten.`);
    return;
  }
  const kind = !stat ? undefined : stat.isSymbolicLink() ? 'symlink' : stat.isDirectory() ? 'dir' : 'file';
  const same = stat !== undefined && kind === expected.kind && (kind !== 'file' || (stat.size === expected.size && Math.floor(stat.mtimeMs) === expected.mtimeMs));
  if (!same) throw new OpError('changed', `${rel} changed on this side since the last sync; not overwritten.`);
}

/** Refuses the op when the target is no longer what the sender last saw (two-way sync's guard against lost edits). */
async function checkUnchanged(target: string, rel: string, expected: WireIfUnchanged | undefined): Promise<void> {
  if (expected === undefined) return;
  const stat = await fsp.lstat(target).catch((error: unknown) => {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw error;
  });
  assertUnchanged(stat, rel, expected);
}

async function applyOne(root: Root, op: Exclude<WireSyncOp, { op: 'write' }>, verified: Set<string>): Promise<void> {
  switch (op.op) {
    case 'mkdir': {
      const target = await root.resolve(op.path, true, verified);
      try {
        await fsp.mkdir(target, op.mode & 0o7777);
      } catch (error) {
        if (errnoOf(error) !== 'EEXIST') throw error;
        const stat = await fsp.lstat(target);
        if (!stat.isDirectory()) throw new OpError('exists', `${op.path} exists and is not a directory.`);
      }
      // mkdir's mode is filtered by the umask; chmod is not.
      await fsp.chmod(target, op.mode & 0o7777);
      return;
    }
    case 'symlink': {
      if (typeof op.target !== 'string' || op.target === '' || op.target.includes('\0')) throw new OpError('bad-path', `The symlink target for ${op.path} is empty or invalid.`);
      const target = await root.resolve(op.path, true);
      const parent = path.dirname(target);
      const temp = path.join(parent, tempName());
      liveTempFiles.add(temp);
      try {
        await fsp.symlink(op.target, temp);
        await root.recheck(parent);
        await fsp.rename(temp, target);
        liveTempFiles.delete(temp);
      } finally {
        if (liveTempFiles.delete(temp)) await fsp.unlink(temp).catch(() => undefined);
      }
      return;
    }
    case 'delete': {
      let target: string;
      try {
        target = await root.resolve(op.path, false);
      } catch (error) {
        // A missing parent means the path is already gone, which is what was asked.
        if (error instanceof OpError && error.code === 'not-found') return;
        throw error;
      }
      await checkUnchanged(target, op.path, op.ifUnchanged);
      // rm never follows symlinks: a link is removed, not what it points to.
      await fsp.rm(target, { recursive: true, force: true });
      return;
    }
    case 'rename': {
      const from = await root.resolve(op.from, false);
      await fsp.lstat(from);
      const to = await root.resolve(op.to, true);
      await root.recheck(path.dirname(to));
      await fsp.rename(from, to);
      return;
    }
    case 'chmod': {
      const target = await root.resolve(op.path, false, verified);
      const stat = await fsp.lstat(target);
      // chmod follows symlinks and Linux has no lchmod, so a link's own mode cannot be set.
      if (stat.isSymbolicLink()) throw new OpError('is-symlink', `${op.path} is a symlink; its mode cannot be changed.`);
      await fsp.chmod(target, op.mode & 0o7777);
      return;
    }
    default:
      throw new OpError('bad-request', `Unknown op ${JSON.stringify((op as { op: unknown }).op)}.`);
  }
}

// ---------------------------------------------------------------------------------------------
// Index.

function entryOf(rel: string, stat: fs.Stats, target?: string): WireIndexEntry {
  const kind = stat.isSymbolicLink() ? 'symlink' : stat.isDirectory() ? 'dir' : 'file';
  const entry: WireIndexEntry = {
    path: rel,
    kind,
    size: kind === 'file' ? stat.size : 0,
    mtimeMs: Math.floor(stat.mtimeMs),
    mode: stat.mode & 0o7777,
  };
  if (target !== undefined) entry.target = target;
  return entry;
}

async function hashFile(abs: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await fsp.open(abs, fs.constants.O_RDONLY | O_NOFOLLOW);
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_SIZE);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/**
 * Walks the root without following symlinks and streams the entries in Partial frames; parents
 * always precede their children. Each directory is listed with synchronous lstat calls (much
 * faster than one promise per entry), and the event loop gets a turn between directories.
 * Sockets, fifos and devices are left out: sync does not carry them.
 */
async function streamIndex(root: Root, id: number, hash: boolean | string[] | undefined): Promise<{ count: number }> {
  const hashAll = hash === true;
  const hashListed = Array.isArray(hash) ? new Set(hash) : undefined;
  let batch: WireIndexEntry[] = [];
  let count = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const entries = batch;
    batch = [];
    await sendJson(FrameType.Partial, id, entries);
  };
  const pending: string[] = [''];
  while (pending.length > 0) {
    const dirRel = pending.shift()!;
    const dirAbs = dirRel === '' ? root.dir : path.join(root.dir, dirRel);
    let names: string[];
    try {
      names = fs.readdirSync(dirAbs);
    } catch (error) {
      // A directory removed or made unreadable during the walk: its entry stands, its content is unknown.
      if (dirRel === '') throw error;
      log(`index: cannot list ${dirRel}: ${(error as Error).message}`);
      continue;
    }
    names.sort();
    for (const name of names) {
      const rel = dirRel === '' ? name : `${dirRel}/${name}`;
      const abs = path.join(dirAbs, name);
      if (name.startsWith(TEMP_PREFIX)) {
        removeIfStale(abs);
        continue;
      }
      let entry: WireIndexEntry;
      try {
        const stat = fs.lstatSync(abs);
        if (stat.isSymbolicLink()) entry = entryOf(rel, stat, fs.readlinkSync(abs));
        else if (stat.isDirectory() || stat.isFile()) entry = entryOf(rel, stat);
        else continue;
        if (entry.kind === 'dir') pending.push(rel);
        if (entry.kind === 'file' && (hashAll || hashListed?.has(rel))) entry.hash = await hashFile(abs);
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') continue; // Deleted during the walk.
        throw error;
      }
      batch.push(entry);
      count++;
      if (batch.length >= INDEX_CHUNK_ENTRIES) await flush();
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await flush();
  return { count };
}

/** A temp file this long untouched was left by an agent that was killed mid-write. */
const STALE_TEMP_MS = 10 * 60 * 1000;

function removeIfStale(abs: string): void {
  if (liveTempFiles.has(abs)) return;
  try {
    if (Date.now() - fs.lstatSync(abs).mtimeMs > STALE_TEMP_MS) fs.unlinkSync(abs);
  } catch {
    // Gone already, or not ours to remove.
  }
}

// ---------------------------------------------------------------------------------------------
// Read.

async function streamFile(root: Root, id: number, rel: string): Promise<void> {
  let handle: fsp.FileHandle;
  try {
    const abs = await root.resolve(rel, false);
    handle = await fsp.open(abs, fs.constants.O_RDONLY | O_NOFOLLOW);
  } catch (error) {
    const failure = toOpError(error, rel);
    // O_NOFOLLOW on a final symlink fails with ELOOP.
    if (errnoOf(error) === 'ELOOP') failure.code = 'is-symlink';
    await sendJson(FrameType.Error, id, { code: failure.code, message: failure.message });
    return;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await sendJson(FrameType.Error, id, { code: 'not-a-file', message: `${rel} is not a regular file.` });
      return;
    }
    const header: ReadHeader = { size: stat.size, mode: stat.mode & 0o7777, mtimeMs: Math.floor(stat.mtimeMs) };
    await sendJson(FrameType.Partial, id, header);
    try {
      for (;;) {
        // A fresh buffer per chunk: the frame may still be queued in the stream when we read on.
        const buffer = Buffer.allocUnsafe(CHUNK_SIZE);
        const { bytesRead } = await handle.read(buffer, 0, CHUNK_SIZE, null);
        if (bytesRead === 0) break;
        await send(FrameType.Data, id, buffer.subarray(0, bytesRead));
      }
    } catch (error) {
      await sendJson(FrameType.End, id, { error: { code: 'io', message: `Reading ${rel} failed: ${(error as Error).message}` } });
      return;
    }
    await sendJson(FrameType.End, id, {});
  } finally {
    await handle.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Watch.

const WATCH_DEBOUNCE_MS = 20;
const WATCH_MAX_DELAY_MS = 200;

/**
 * Reports changed paths under the root to every watch request, debounced. The agent's own writes
 * are reported too: the daemon compares them with what it sent, which is safer than guessing here.
 */
class RootWatcher {
  private subscribers = new Set<number>();
  private changed = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private firstChangeAt = 0;
  private watchers: fs.FSWatcher[] = [];
  private watchedDirs = new Set<string>();

  constructor(private readonly root: Root) {}

  subscribe(id: number): void {
    this.subscribers.add(id);
    if (this.watchers.length === 0) this.start();
  }

  private start(): void {
    // NHD_AGENT_WATCH=per-directory forces the Node 18 way, so tests cover it on newer nodes.
    if (process.env['NHD_AGENT_WATCH'] === 'per-directory') {
      this.watchTree('', false);
      return;
    }
    try {
      this.watchers.push(fs.watch(this.root.dir, { recursive: true }, (_event, name) => this.note(name ? String(name) : '')));
    } catch (error) {
      // Node 18 on Linux has no recursive watch: watch each directory instead.
      if (errnoOf(error) !== 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM') throw error;
      this.watchTree('', false);
    }
    for (const watcher of this.watchers) watcher.on('error', (error) => this.fail(error));
  }

  /** The watch broke (the root removed, out of inotify watches): tell every subscriber once. */
  private fail(error: Error): void {
    log(`watch: ${error.message}`);
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
    this.watchedDirs.clear();
    for (const id of this.subscribers) void sendJson(FrameType.Error, id, { code: 'watch', message: `Watching the root failed: ${error.message}` });
    this.subscribers.clear();
  }

  /** Watches `rel` and the directories below it; `isNew`: it appeared after the watch began. */
  private watchTree(rel: string, isNew: boolean): void {
    const abs = rel === '' ? this.root.dir : path.join(this.root.dir, rel);
    if (this.watchedDirs.has(abs)) return;
    let watcher: fs.FSWatcher;
    try {
      watcher = fs.watch(abs, (_event, name) => {
        // The watched directory itself removed is reported under its own name, not as a child.
        const gone = !fs.existsSync(abs);
        const child = name && !gone ? (rel === '' ? String(name) : `${rel}/${String(name)}`) : rel;
        this.note(child);
        try {
          const stat = fs.lstatSync(path.join(this.root.dir, child), { throwIfNoEntry: false });
          if (stat?.isDirectory()) this.watchTree(child, true);
        } catch (error) {
          log(`watch: cannot follow ${child}: ${(error as Error).message}`);
        }
      });
    } catch {
      return;
    }
    // A watched directory that is removed reports an error; its watcher is simply dropped.
    watcher.on('error', () => {
      watcher.close();
      this.watchedDirs.delete(abs);
    });
    watcher.on('close', () => this.watchedDirs.delete(abs));
    this.watchers.push(watcher);
    this.watchedDirs.add(abs);
    let children: fs.Dirent[] = [];
    try {
      children = fs.readdirSync(abs, { withFileTypes: true });
    } catch {
      // Removed meanwhile.
    }
    for (const entry of children) {
      // A new directory's files may predate its watcher: report them so none is missed.
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) this.watchTree(childRel, isNew);
      else if (isNew) this.note(childRel);
    }
  }

  private note(rel: string): void {
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    if (base.startsWith(TEMP_PREFIX)) return;
    if (this.changed.size === 0) this.firstChangeAt = Date.now();
    this.changed.add(rel);
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.min(WATCH_DEBOUNCE_MS, Math.max(0, this.firstChangeAt + WATCH_MAX_DELAY_MS - Date.now()));
    this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = undefined;
    const paths = [...this.changed].sort();
    this.changed.clear();
    for (const id of this.subscribers) void sendJson(FrameType.Partial, id, { paths });
  }
}

// ---------------------------------------------------------------------------------------------
// Requests.

class Agent {
  private contents = new Map<number, ContentQueue>();
  private readonly watcher: RootWatcher;

  constructor(private readonly root: Root) {
    this.watcher = new RootWatcher(root);
  }

  /** Handles one frame; resolves when the next frame may be read. */
  async onFrame(frame: Frame): Promise<void> {
    switch (frame.type) {
      case FrameType.Request: {
        let request: AgentRequest;
        try {
          request = decodeJson<AgentRequest>(frame);
        } catch (error) {
          await sendJson(FrameType.Error, frame.id, { code: 'bad-request', message: `The request is not JSON: ${(error as Error).message}` });
          return;
        }
        this.startRequest(frame.id, request);
        return;
      }
      case FrameType.Data:
        await this.contents.get(frame.id)?.push(frame.payload);
        return;
      case FrameType.End: {
        const content = this.contents.get(frame.id);
        if (!content) return;
        let end: { error?: WireError } = {};
        try {
          end = decodeJson<{ error?: WireError }>(frame);
        } catch {
          end = { error: { code: 'bad-request', message: 'The end of the content is not JSON.' } };
        }
        await content.push({ end: true, ...end });
        return;
      }
      default:
        log(`ignoring an unexpected frame of type ${frame.type} for request ${frame.id}`);
    }
  }

  private startRequest(id: number, request: AgentRequest): void {
    let work: Promise<unknown>;
    switch (request.op) {
      case 'hello': {
        const hello: HelloResult = { agent: 'nhd-agent', version: AGENT_PROTOCOL_VERSION, root: this.root.dir, node: process.version, pid: process.pid };
        work = Promise.resolve(hello);
        break;
      }
      case 'index':
        work = streamIndex(this.root, id, request.hash);
        break;
      case 'apply': {
        // Created before the next frame is read, so none of this request's content is missed.
        const content = new ContentQueue();
        this.contents.set(id, content);
        work = applyOps(this.root, Array.isArray(request.ops) ? request.ops : [], content).finally(() => {
          content.close();
          this.contents.delete(id);
        });
        break;
      }
      case 'read':
        // streamFile answers on its own (Partial, Data..., End), or with an Error frame.
        void streamFile(this.root, id, request.path).catch((error) => this.fail(id, error));
        return;
      case 'watch':
        try {
          this.watcher.subscribe(id);
        } catch (error) {
          void this.fail(id, error);
        }
        return;
      default:
        void sendJson(FrameType.Error, id, { code: 'bad-request', message: `Unknown request ${JSON.stringify((request as { op: unknown }).op)}.` });
        return;
    }
    work.then(
      (result) => sendJson(FrameType.Result, id, result),
      (error) => this.fail(id, error),
    );
  }

  private fail(id: number, error: unknown): Promise<void> {
    const { code, message } = toOpError(error, '');
    log(`request ${id} failed: ${message}`);
    return sendJson(FrameType.Error, id, { code, message });
  }
}

// ---------------------------------------------------------------------------------------------
// Main.

function parseRoot(argv: string[]): string {
  const i = argv.indexOf('--root');
  const value = i >= 0 ? argv[i + 1] : undefined;
  if (!value) {
    log('usage: node agent.js --root DIR');
    process.exit(2);
  }
  return path.resolve(value);
}

function removeTempFiles(): void {
  for (const temp of liveTempFiles) {
    try {
      fs.unlinkSync(temp);
    } catch {
      // Already gone.
    }
  }
  liveTempFiles.clear();
}

async function main(): Promise<void> {
  const requested = parseRoot(process.argv.slice(2));
  let root: Root;
  try {
    fs.mkdirSync(requested, { recursive: true });
    root = new Root(fs.realpathSync(requested));
    if (!fs.statSync(root.dir).isDirectory()) throw new Error('it is not a directory');
  } catch (error) {
    log(`The root ${requested} cannot be used: ${(error as Error).message}`);
    process.exit(1);
  }
  const agent = new Agent(root);
  process.on('exit', removeTempFiles);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => process.exit(0));
  // The daemon gone (a broken pipe) means nobody is left to answer.
  process.stdout.on('error', () => process.exit(0));

  frameOut.write(PREAMBLE);
  const decoder = new FrameDecoder(false);
  for await (const chunk of process.stdin) {
    decoder.push(chunk as Buffer);
    for (let frame = decoder.next(); frame; frame = decoder.next()) await agent.onFrame(frame);
  }
  // stdin closed: the daemon ended the link.
  process.exit(0);
}

main().catch((error: unknown) => {
  log(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
