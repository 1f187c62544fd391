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
 *
 * That holds under races too (docs/security.md). On Linux every directory on a path is opened
 * from its parent's handle with O_DIRECTORY|O_NOFOLLOW and stays pinned for the batch, and each
 * action (mkdir, symlink, rename, unlink, rmdir, the temp file's open, chmod) names its entry as
 * `/proc/self/fd/<parent fd>/<name>`, which the kernel resolves in the pinned directory whatever
 * happens to the path meanwhile (DirHandles). Where /proc/self/fd is not available (not Linux, or
 * NHD_AGENT_PINNING=off for tests) the agent falls back to checking each directory with lstat and
 * re-checking it with realpath right before acting, which narrows a race but cannot close it.
 *
 * Special files (FIFOs, sockets, devices) are refused by type from lstat before anything opens
 * them, and opens use O_NONBLOCK and then fstat, so none can block the agent. Every malformed
 * request gets an Error frame; the agent keeps serving.
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

  /** The message for a directory on the way that is a symlink: where it leads, for the reader. */
  symlinkMessage(rel: string): string {
    let real: string | undefined;
    try {
      real = fs.realpathSync.native(path.join(this.dir, rel));
    } catch {
      // A dangling link leads nowhere inside.
    }
    const inside = real !== undefined && (real === this.dir || real.startsWith(this.dir + path.sep));
    return inside
      ? `The path goes through the symlink ${rel}; the agent never writes or reads through symlinks.`
      : `The path goes through the symlink ${rel}, which leads outside the root.`;
  }
}

/**
 * How directories are pinned here. On Linux a directory opened with O_DIRECTORY|O_NOFOLLOW stays
 * that directory whatever happens to its name, and `/proc/self/fd/<fd>/<name>` is looked up in
 * it: the kernel follows the magic link to the open directory, and mkdir, rename, unlink, rmdir,
 * symlink, lstat and open with O_NOFOLLOW never follow the final name. Directories are opened
 * with O_PATH where its value is known, so a directory the agent may search but not read (0311)
 * still works and a chmod never opens the file itself (a FIFO, a device, a 000 file). Without
 * /proc (macOS, for the local agent of two-way sync) `fallback` is set and the agent checks each
 * directory with lstat and re-checks it with realpath right before each action, as before.
 */
interface Pinning {
  readonly fallback: boolean;
  /** open(2) flags for a directory handle. */
  readonly dirFlags: number;
  /** Directory and chmod handles are O_PATH (no read permission needed, nothing opened). */
  readonly oPath: boolean;
}

/** Linux's O_PATH, which fs.constants lacks; this value on every architecture Node has a Linux build for. */
const O_PATH = 0o10000000;
const O_PATH_ARCHES = new Set(['x64', 'arm64', 'arm', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64']);
const O_DIRECTORY = fs.constants.O_DIRECTORY;
const O_NONBLOCK = fs.constants.O_NONBLOCK;

let pinning: Pinning = { fallback: true, dirFlags: fs.constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW, oPath: false };

/** Tries pinning on the root: it holds when /proc/self/fd/<fd> of the open root is the root. */
function probePinning(rootDir: string): Pinning {
  if (process.platform !== 'linux' || process.env['NHD_AGENT_PINNING'] === 'off') return pinning;
  const candidates = O_PATH_ARCHES.has(process.arch) ? [O_PATH, fs.constants.O_RDONLY] : [fs.constants.O_RDONLY];
  for (const base of candidates) {
    let fd: number | undefined;
    try {
      fd = fs.openSync(rootDir, base | O_DIRECTORY | O_NOFOLLOW);
      const direct = fs.fstatSync(fd);
      const viaProc = fs.statSync(`/proc/self/fd/${fd}/.`);
      if (direct.ino === viaProc.ino && direct.dev === viaProc.dev) return { fallback: false, dirFlags: base | O_DIRECTORY | O_NOFOLLOW, oPath: base === O_PATH };
    } catch {
      // Not this way; try the next, or fall back.
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }
  return pinning;
}

/** `prefix/name`: the path the kernel resolves to the entry `name` in a verified directory. */
const at = (prefix: string, name: string) => `${prefix}/${name}`;

/** A directory reached from the root through real directories only. */
interface OpenDir {
  /** What `at` takes: `/proc/self/fd/<fd>`, or the absolute path in the fallback. */
  readonly prefix: string;
  close(): void;
}

class NotADirectory extends Error {
  constructor(readonly isSymlink: boolean) {
    super(isSymlink ? 'a symlink' : 'not a directory');
  }
}

function openRoot(root: Root): OpenDir {
  if (pinning.fallback) return { prefix: root.dir, close: () => undefined };
  const fd = fs.openSync(root.dir, pinning.dirFlags);
  return { prefix: `/proc/self/fd/${fd}`, close: () => fs.closeSync(fd) };
}

/**
 * Opens the directory `name` in `parent` without following a symlink. Throws errno errors
 * (ENOENT) or NotADirectory, which says whether the entry is a symlink.
 */
function openDirAt(parent: string, name: string): OpenDir {
  const entry = at(parent, name);
  if (pinning.fallback) {
    const stat = fs.lstatSync(entry);
    if (!stat.isDirectory()) throw new NotADirectory(stat.isSymbolicLink());
    return { prefix: entry, close: () => undefined };
  }
  let fd: number;
  try {
    fd = fs.openSync(entry, pinning.dirFlags);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno !== 'ENOTDIR' && errno !== 'ELOOP') throw error;
    throw new NotADirectory(fs.lstatSync(entry, { throwIfNoEntry: false })?.isSymbolicLink() ?? false);
  }
  return { prefix: `/proc/self/fd/${fd}`, close: () => fs.closeSync(fd) };
}

/**
 * In the fallback only: the directory still resolves to itself right before an action, which
 * catches a directory swapped for a symlink since it was checked (narrowing the race, not closing
 * it). With pinning there is nothing to re-check: the action happens in the pinned directory.
 */
function recheck(root: Root, prefix: string): void {
  if (!pinning.fallback || prefix === root.dir) return;
  if (fs.realpathSync.native(prefix) !== prefix) throw new OpError('path-escape', `${path.relative(root.dir, prefix)} changed into a symlink during the op.`);
}

/** Where an op acts: the entry `name` in the verified directory `parent`. */
interface Place {
  /** The directory's prefix, for `at` (temp files next to the target). */
  parent: string;
  name: string;
  /** `at(parent, name)`. */
  path: string;
}

/**
 * The directories one batch (or one read) has opened, by relative path, each pinned until
 * close(). A pinned directory is the directory, not its name: if something else in the container
 * moves it while the batch runs, the batch's later ops under that name land in it where it now is
 * (inside the root unless that process moved it out, and then only in the directory it moved,
 * which it could write itself); the next batch resolves the names afresh. The batch's own delete,
 * rename and symlink ops forget what they may have moved (`forget`), so no later op of the batch
 * acts through a stale handle. Handles are opened with synchronous calls: one per directory per
 * batch, which keeps the initial sync of many small files cheap.
 */
class DirHandles {
  private readonly dirs = new Map<string, OpenDir>();
  private rootDir: OpenDir | undefined;

  constructor(private readonly root: Root) {}

  /**
   * The place of `rel`, after checking that every directory above it is a real directory inside
   * the root, never a symlink. With `create`, missing directories are made (0755); without, a
   * missing one is reported as `not-found`.
   */
  place(rel: unknown, create: boolean): Place {
    const segments = segmentsOf(rel);
    this.rootDir ??= openRoot(this.root);
    let parent = this.rootDir.prefix;
    for (let i = 0; i < segments.length - 1; i++) {
      const dirRel = segments.slice(0, i + 1).join('/');
      let dir = this.dirs.get(dirRel);
      if (!dir) {
        dir = this.open(parent, segments[i]!, dirRel, create);
        this.dirs.set(dirRel, dir);
      }
      parent = dir.prefix;
    }
    const name = segments[segments.length - 1]!;
    return { parent, name, path: at(parent, name) };
  }

  private open(parent: string, name: string, rel: string, create: boolean): OpenDir {
    try {
      try {
        return openDirAt(parent, name);
      } catch (error) {
        if (errnoOf(error) !== 'ENOENT') throw error;
        if (!create) throw new OpError('not-found', `The directory ${rel} does not exist.`);
        recheck(this.root, parent);
        try {
          fs.mkdirSync(at(parent, name), 0o755);
        } catch (mkdirError) {
          if (errnoOf(mkdirError) !== 'EEXIST') throw mkdirError;
        }
        return openDirAt(parent, name);
      }
    } catch (error) {
      if (!(error instanceof NotADirectory)) throw error;
      if (error.isSymlink) throw new OpError('path-escape', this.root.symlinkMessage(rel));
      throw new OpError('not-a-directory', `${rel} is not a directory.`);
    }
  }

  /** Drops the handles of `rel` and below: an op of the batch may have moved or removed them. */
  forget(rel: string): void {
    for (const [dirRel, dir] of this.dirs) {
      if (dirRel === rel || dirRel.startsWith(rel + '/')) {
        dir.close();
        this.dirs.delete(dirRel);
      }
    }
  }

  close(): void {
    for (const dir of this.dirs.values()) dir.close();
    this.dirs.clear();
    this.rootDir?.close();
    this.rootDir = undefined;
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

/**
 * Temp files being written, by name (random, so unique), with the path they were made at; removed
 * on exit so a killed batch leaves nothing behind (the batch's handles are still open then).
 */
const liveTempFiles = new Map<string, string>();

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

async function applyOps(root: Root, ops: unknown[], content: ContentQueue): Promise<ApplyResult> {
  const result: ApplyResult = { applied: 0, bytes: 0, errors: [] };
  const dirs = new DirHandles(root);
  try {
    for (const op of ops) {
      if (typeof op !== 'object' || op === null || Array.isArray(op)) {
        result.errors.push({ path: '', code: 'bad-request', message: `An op must be an object, not ${JSON.stringify(op)}.` });
        continue;
      }
      const wire = op as WireSyncOp;
      const rel = wire.op === 'rename' ? wire.from : wire.path;
      try {
        if (wire.op === 'write') result.bytes += await writeFile(root, wire, content, dirs);
        else await applyOne(root, wire, dirs);
        result.applied++;
      } catch (error) {
        result.errors.push(toOpError(error, typeof rel === 'string' ? rel : ''));
      }
    }
  } finally {
    dirs.close();
  }
  return result;
}

/**
 * Files up to this size are taken whole and written with synchronous calls: each awaited fs call is a round trip
 * through the thread pool, and for small files those round trips, not bytes, were the cost (node_modules-like
 * trees synced at an eighth of tar's speed).
 */
const SMALL_FILE = 1024 * 1024;

const TEMP_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | O_NOFOLLOW;

/** Writes to a temp file next to the target, sets mode and mtime, then renames over the target. */
async function writeFile(root: Root, op: Extract<WireSyncOp, { op: 'write' }>, content: ContentQueue, dirs: DirHandles): Promise<number> {
  let place: Place;
  try {
    place = dirs.place(op.path, true);
  } catch (error) {
    await content.skipFile();
    throw error;
  }
  if (op.size <= SMALL_FILE) return writeSmallFile(root, op, content, place);
  const name = tempName();
  const temp = at(place.parent, name);
  let handle: fsp.FileHandle | undefined;
  liveTempFiles.set(name, temp);
  try {
    try {
      handle = await fsp.open(temp, TEMP_FLAGS, 0o600);
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
    recheck(root, place.parent);
    await checkUnchanged(place.path, op.path, op.ifUnchanged);
    await fsp.rename(temp, place.path);
    liveTempFiles.delete(name);
    return written;
  } finally {
    if (handle) await handle.close().catch(() => undefined);
    if (liveTempFiles.delete(name)) await fsp.unlink(temp).catch(() => undefined);
  }
}

/** writeFile for a small file: its content first, then one synchronous open-write-chmod-utimes-close-rename. */
async function writeSmallFile(root: Root, op: Extract<WireSyncOp, { op: 'write' }>, content: ContentQueue, place: Place): Promise<number> {
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
  const name = tempName();
  const temp = at(place.parent, name);
  liveTempFiles.set(name, temp);
  try {
    const fd = fs.openSync(temp, TEMP_FLAGS, 0o600);
    try {
      for (const chunk of chunks) fs.writeSync(fd, chunk);
      fs.fchmodSync(fd, op.mode & 0o7777);
      fs.futimesSync(fd, new Date(), new Date(op.mtimeMs));
    } finally {
      fs.closeSync(fd);
    }
    recheck(root, place.parent);
    checkUnchangedSync(place.path, op.path, op.ifUnchanged);
    fs.renameSync(temp, place.path);
    liveTempFiles.delete(name);
    return written;
  } finally {
    if (liveTempFiles.delete(name)) {
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
  assertUnchanged(fs.lstatSync(target, { throwIfNoEntry: false }), rel, expected);
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

/**
 * Sets the mode of the entry at `place` itself, never of what a symlink there points to. With
 * O_PATH the entry is pinned without being opened (no read permission needed: a 000 file of a
 * non-root agent works, a FIFO cannot block) and chmod goes through /proc/self/fd/<fd>. Otherwise
 * it is opened O_RDONLY|O_NOFOLLOW|O_NONBLOCK and fchmod'ed; a file the agent cannot open (mode
 * 000 and not root) is refused with `permission` rather than changed by name, and special files
 * are refused without opening them (opening a device can act on it).
 */
function chmodAt(place: Place, rel: string, mode: number): void {
  if (pinning.oPath) {
    const fd = fs.openSync(place.path, O_PATH | O_NOFOLLOW);
    try {
      if (fs.fstatSync(fd).isSymbolicLink()) throw new OpError('is-symlink', `${rel} is a symlink; its mode cannot be changed.`);
      fs.chmodSync(`/proc/self/fd/${fd}`, mode);
    } finally {
      fs.closeSync(fd);
    }
    return;
  }
  const stat = fs.lstatSync(place.path);
  // Linux has no lchmod, so a link's own mode cannot be set.
  if (stat.isSymbolicLink()) throw new OpError('is-symlink', `${rel} is a symlink; its mode cannot be changed.`);
  if (!stat.isFile() && !stat.isDirectory()) throw new OpError('not-a-file', `${rel} is not a regular file or directory; its mode is left alone.`);
  let fd: number;
  try {
    fd = fs.openSync(place.path, fs.constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ELOOP') throw new OpError('is-symlink', `${rel} turned into a symlink; its mode cannot be changed.`);
    if (errno === 'EACCES') throw new OpError('permission', `${rel} cannot be opened by the agent's user, so its mode is not changed (the agent never changes a mode by name).`);
    throw error;
  }
  try {
    const opened = fs.fstatSync(fd);
    if (opened.ino !== stat.ino || opened.dev !== stat.dev) throw new OpError('changed', `${rel} was replaced during the op; its mode is not changed.`);
    fs.fchmodSync(fd, mode);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Removes the entry `name` in `parent`, a whole tree for a directory, never following a symlink:
 * each subdirectory is opened through its parent's handle with O_NOFOLLOW, and an entry that is
 * (or turned into) a symlink is unlinked, never descended. Directories are emptied with
 * synchronous calls, one directory per turn of the event loop, so other requests keep being served.
 */
async function removeEntry(root: Root, parent: string, name: string): Promise<void> {
  const stat = fs.lstatSync(at(parent, name), { throwIfNoEntry: false });
  if (!stat) return;
  recheck(root, parent);
  if (!stat.isDirectory()) return unlinkIfThere(at(parent, name));
  for (let attempt = 0; ; attempt++) {
    let dir: OpenDir;
    try {
      dir = openDirAt(parent, name);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return;
      if (!(error instanceof NotADirectory)) throw error;
      // Swapped for a symlink (or a file) since the lstat: remove the link itself.
      return unlinkIfThere(at(parent, name));
    }
    try {
      for (const child of fs.readdirSync(dir.prefix)) {
        const childStat = fs.lstatSync(at(dir.prefix, child), { throwIfNoEntry: false });
        if (childStat?.isDirectory()) await removeEntry(root, dir.prefix, child);
        else if (childStat) unlinkIfThere(at(dir.prefix, child));
      }
    } finally {
      dir.close();
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      fs.rmdirSync(at(parent, name));
      return;
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === 'ENOENT') return;
      // Swapped for a symlink after it was emptied: rmdir does not follow it; unlink the link.
      if (errno === 'ENOTDIR') return unlinkIfThere(at(parent, name));
      // Something added entries meanwhile: empty it again, a few times.
      if (errno === 'ENOTEMPTY' && attempt < 3) continue;
      throw error;
    }
  }
}

function unlinkIfThere(entry: string): void {
  try {
    fs.unlinkSync(entry);
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw error;
  }
}

async function applyOne(root: Root, op: Exclude<WireSyncOp, { op: 'write' }>, dirs: DirHandles): Promise<void> {
  switch (op.op) {
    case 'mkdir': {
      const place = dirs.place(op.path, true);
      recheck(root, place.parent);
      try {
        fs.mkdirSync(place.path, op.mode & 0o7777);
      } catch (error) {
        if (errnoOf(error) !== 'EEXIST') throw error;
        if (!fs.lstatSync(place.path).isDirectory()) throw new OpError('exists', `${op.path} exists and is not a directory.`);
      }
      // mkdir's mode is filtered by the umask; chmod is not.
      chmodAt(place, op.path, op.mode & 0o7777);
      return;
    }
    case 'symlink': {
      if (typeof op.target !== 'string' || op.target === '' || op.target.includes('\0')) throw new OpError('bad-path', `The symlink target for ${op.path} is empty or invalid.`);
      const place = dirs.place(op.path, true);
      const name = tempName();
      const temp = at(place.parent, name);
      liveTempFiles.set(name, temp);
      try {
        fs.symlinkSync(op.target, temp);
        recheck(root, place.parent);
        fs.renameSync(temp, place.path);
        liveTempFiles.delete(name);
      } finally {
        if (liveTempFiles.delete(name)) unlinkIfThere(temp);
        dirs.forget(op.path);
      }
      return;
    }
    case 'delete': {
      let place: Place;
      try {
        place = dirs.place(op.path, false);
      } catch (error) {
        // A missing parent means the path is already gone, which is what was asked.
        if (error instanceof OpError && error.code === 'not-found') return;
        throw error;
      }
      await checkUnchanged(place.path, op.path, op.ifUnchanged);
      try {
        await removeEntry(root, place.parent, place.name);
      } finally {
        dirs.forget(op.path);
      }
      return;
    }
    case 'rename': {
      const from = dirs.place(op.from, false);
      fs.lstatSync(from.path);
      const to = dirs.place(op.to, true);
      recheck(root, from.parent);
      recheck(root, to.parent);
      try {
        fs.renameSync(from.path, to.path);
      } finally {
        dirs.forget(op.from);
        dirs.forget(op.to);
      }
      return;
    }
    case 'chmod': {
      const place = dirs.place(op.path, false);
      recheck(root, place.parent);
      chmodAt(place, op.path, op.mode & 0o7777);
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

/**
 * Opens a regular file for reading without following a symlink and without blocking on a special
 * file: the caller has lstat'ed it as a file, and O_NONBLOCK plus fstat catch one swapped in since
 * (a FIFO opened this way returns at once, and is then refused by type).
 */
async function openRegularFile(entry: string, rel: string): Promise<fsp.FileHandle> {
  const handle = await fsp.open(entry, fs.constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new OpError('not-a-file', `${rel} is not a regular file.`);
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  return handle;
}

async function hashFile(entry: string, rel: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await openRegularFile(entry, rel);
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
 * Opens a directory the walk listed earlier, by its path, and makes sure it is still the one
 * listed (same device and inode): a directory on the way swapped for a symlink since then leads
 * elsewhere and is skipped, so the walk never lists anything outside the root.
 */
function reopenListed(root: Root, rel: string, listed: { dev: number; ino: number }): OpenDir | undefined {
  const abs = path.join(root.dir, rel);
  if (pinning.fallback) {
    const stat = fs.lstatSync(abs);
    return stat.isDirectory() && stat.dev === listed.dev && stat.ino === listed.ino ? { prefix: abs, close: () => undefined } : undefined;
  }
  const fd = fs.openSync(abs, pinning.dirFlags);
  let same = false;
  try {
    const stat = fs.fstatSync(fd);
    same = stat.dev === listed.dev && stat.ino === listed.ino;
  } finally {
    if (!same) fs.closeSync(fd);
  }
  return same ? { prefix: `/proc/self/fd/${fd}`, close: () => fs.closeSync(fd) } : undefined;
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
  const pending: { rel: string; dev: number; ino: number }[] = [];
  const rootDir = openRoot(root);
  try {
    await listDirectory(rootDir.prefix, '');
  } finally {
    rootDir.close();
  }
  while (pending.length > 0) {
    const { rel, dev, ino } = pending.shift()!;
    let dir: OpenDir | undefined;
    try {
      dir = reopenListed(root, rel, { dev, ino });
    } catch (error) {
      // A directory removed or made unreadable during the walk: its entry stands, its content is unknown.
      log(`index: cannot list ${rel}: ${(error as Error).message}`);
      continue;
    }
    if (!dir) {
      log(`index: ${rel} was replaced during the walk; its content is left out.`);
      continue;
    }
    try {
      await listDirectory(dir.prefix, rel);
    } finally {
      dir.close();
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await flush();
  return { count };

  async function listDirectory(prefix: string, dirRel: string): Promise<void> {
    let stats: { name: string; stat: fs.Stats; target?: string }[];
    try {
      stats = lstatAll(prefix);
    } catch (error) {
      if (dirRel === '') throw error;
      log(`index: cannot list ${dirRel}: ${(error as Error).message}`);
      return;
    }
    for (const { name, stat, target } of stats) {
      const rel = dirRel === '' ? name : `${dirRel}/${name}`;
      const entry = entryOf(rel, stat, target);
      if (entry.kind === 'dir') pending.push({ rel, dev: stat.dev, ino: stat.ino });
      if (entry.kind === 'file' && (hashAll || hashListed?.has(rel))) {
        try {
          entry.hash = await hashFile(at(prefix, name), rel);
        } catch (error) {
          if (errnoOf(error) === 'ENOENT') continue; // Deleted during the walk.
          // Swapped for a special file since the lstat: left out, like one found as such.
          if (error instanceof OpError && error.code === 'not-a-file') continue;
          throw error;
        }
      }
      batch.push(entry);
      count++;
      if (batch.length >= INDEX_CHUNK_ENTRIES) await flush();
    }
  }
}

/**
 * The sorted entries of one directory with their lstat (and a symlink's target), leaving out
 * special files and removing stale temp files. With pinning the loop runs with the process's
 * working directory set to the pinned directory, so each lstat is a one-name lookup in it (a
 * lookup through /proc/self/fd/<fd>/<name> made the index 30% slower). That is safe because the
 * loop is synchronous and the agent uses no relative path anywhere else; the working directory is
 * set back to / before it returns.
 */
function lstatAll(prefix: string): { name: string; stat: fs.Stats; target?: string }[] {
  const names = fs.readdirSync(prefix).sort();
  const base = pinning.fallback ? prefix + '/' : '';
  if (!pinning.fallback) process.chdir(prefix);
  try {
    const result: { name: string; stat: fs.Stats; target?: string }[] = [];
    for (const name of names) {
      if (name.startsWith(TEMP_PREFIX)) {
        removeIfStale(base + name, name);
        continue;
      }
      const stat = fs.lstatSync(base + name, { throwIfNoEntry: false });
      if (!stat) continue; // Deleted during the walk.
      if (stat.isSymbolicLink()) {
        let target: string;
        try {
          target = fs.readlinkSync(base + name);
        } catch (error) {
          if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'EINVAL') continue; // Gone, or no longer a link.
          throw error;
        }
        result.push({ name, stat, target });
      } else if (stat.isDirectory() || stat.isFile()) result.push({ name, stat });
    }
    return result;
  } finally {
    if (!pinning.fallback) process.chdir('/');
  }
}

/** A temp file this long untouched was left by an agent that was killed mid-write. */
const STALE_TEMP_MS = 10 * 60 * 1000;

function removeIfStale(entry: string, name: string): void {
  if (liveTempFiles.has(name)) return;
  try {
    if (Date.now() - fs.lstatSync(entry).mtimeMs > STALE_TEMP_MS) fs.unlinkSync(entry);
  } catch {
    // Gone already, or not ours to remove.
  }
}

// ---------------------------------------------------------------------------------------------
// Read.

/**
 * Streams a regular file back. Anything else is refused by type from lstat before it is opened,
 * so a FIFO or a device in the root never blocks the agent (nor a thread of its pool).
 */
async function streamFile(root: Root, id: number, rel: string): Promise<void> {
  let handle: fsp.FileHandle;
  const dirs = new DirHandles(root);
  try {
    const place = dirs.place(rel, false);
    const stat = fs.lstatSync(place.path);
    if (stat.isSymbolicLink()) throw new OpError('is-symlink', `${rel} is a symlink; the agent never reads through symlinks.`);
    if (!stat.isFile()) throw new OpError('not-a-file', `${rel} is not a regular file.`);
    handle = await openRegularFile(place.path, rel);
  } catch (error) {
    const failure = toOpError(error, rel);
    // O_NOFOLLOW on a final symlink fails with ELOOP.
    if (errnoOf(error) === 'ELOOP') failure.code = 'is-symlink';
    await sendJson(FrameType.Error, id, { code: failure.code, message: failure.message });
    return;
  } finally {
    dirs.close();
  }
  try {
    const stat = await handle.stat();
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

/** Why a decoded request cannot be served, or undefined: it is an object whose `op` is a string. */
function whyMalformed(request: unknown): string | undefined {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return `A request must be a JSON object, not ${JSON.stringify(request)?.slice(0, 100)}.`;
  const op = (request as { op?: unknown }).op;
  if (typeof op !== 'string') return `A request needs an "op" string; it has ${JSON.stringify(op)?.slice(0, 100) ?? 'none'}.`;
  return undefined;
}

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
        const malformed = whyMalformed(request);
        if (malformed !== undefined) {
          await sendJson(FrameType.Error, frame.id, { code: 'bad-request', message: malformed });
          return;
        }
        try {
          this.startRequest(frame.id, request);
        } catch (error) {
          // A bug for one request fails that request only.
          await this.fail(frame.id, error);
        }
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
        if (!Array.isArray(request.ops)) {
          void sendJson(FrameType.Error, id, { code: 'bad-request', message: 'An apply request needs an "ops" array.' });
          return;
        }
        const content = new ContentQueue();
        this.contents.set(id, content);
        work = applyOps(this.root, request.ops, content).finally(() => {
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
  for (const temp of liveTempFiles.values()) {
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
  // Nothing depends on the starting directory; the index borrows the working directory (lstatAll).
  process.chdir('/');
  let root: Root;
  try {
    fs.mkdirSync(requested, { recursive: true });
    root = new Root(fs.realpathSync(requested));
    pinning = probePinning(root.dir);
    if (pinning.fallback && process.platform === 'linux' && process.env['NHD_AGENT_PINNING'] !== 'off') log('/proc/self/fd is not usable here: directories are checked by path, which narrows races but cannot close them.');
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
    for (let frame = decoder.next(); frame; frame = decoder.next()) {
      try {
        await agent.onFrame(frame);
      } catch (error) {
        // Can't happen (onFrame answers its own failures), but one bad frame must not end the agent.
        log(`frame ${frame.id} of type ${frame.type}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
    }
  }
  // stdin closed: the daemon ended the link.
  process.exit(0);
}

main().catch((error: unknown) => {
  log(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
