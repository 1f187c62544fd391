import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IndexEntry } from '../ports';
import type { IgnoreMatcher } from './ops';

/** The index entry of one local path (lstat, links not followed), or undefined when it is gone or not a file, directory or link. */
export function statEntry(root: string, rel: string): IndexEntry | undefined {
  const abs = path.join(root, rel);
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(abs);
  } catch {
    return undefined;
  }
  const base = { path: rel, mtimeMs: Math.floor(stat.mtimeMs), mode: stat.mode & 0o7777 };
  if (stat.isSymbolicLink()) {
    try {
      return { ...base, kind: 'symlink', size: 0, target: fs.readlinkSync(abs) };
    } catch {
      return undefined;
    }
  }
  if (stat.isDirectory()) return { ...base, kind: 'dir', size: 0 };
  if (stat.isFile()) return { ...base, kind: 'file', size: stat.size };
  return undefined;
}

/**
 * Every entry under `root` that `ignored` keeps, parents before children; ignored directories are not
 * entered. Symlinks are entries of their own, never followed.
 */
export function localIndex(root: string, ignored?: IgnoreMatcher): IndexEntry[] {
  const entries: IndexEntry[] = [];
  const walk = (dirRel: string) => {
    let names: string[];
    try {
      names = fs.readdirSync(dirRel === '' ? root : path.join(root, dirRel));
    } catch {
      return; // Removed while walking: the watcher reports it.
    }
    names.sort();
    for (const name of names) {
      const rel = dirRel === '' ? name : `${dirRel}/${name}`;
      const entry = statEntry(root, rel);
      if (!entry) continue;
      if (ignored?.(rel, entry.kind === 'dir')) continue;
      entries.push(entry);
      if (entry.kind === 'dir') walk(rel);
    }
  };
  walk('');
  return entries;
}

/** sha256 hex of a local file's content, or undefined when it cannot be read. */
export async function hashFile(abs: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const hash = createHash('sha256');
    const stream = fs.createReadStream(abs);
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('error', () => resolve(undefined));
    stream.on('end', () => resolve(hash.digest('hex')));
  });
}

/** How many directories a watcher of `root` would watch (ignored ones are not entered); cheap, no stat. */
export function countDirectories(root: string, ignored?: IgnoreMatcher): number {
  let count = 1;
  const walk = (dirRel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dirRel === '' ? root : path.join(root, dirRel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const rel = dirRel === '' ? entry.name : `${dirRel}/${entry.name}`;
      if (ignored?.(rel, true)) continue;
      count++;
      walk(rel);
    }
  };
  walk('');
  return count;
}
