import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where the `nhd` executable is and how to spawn it. */
export interface NhdExecutable {
  command: string;
  /** Put first on PATH: node_modules/.bin also holds the Node (≥ 22) that nhd's shebang needs. */
  pathPrepend?: string;
  /** How it was found, for the output channel and error messages. */
  source: 'setting' | 'path' | 'workspace' | 'fallback';
}

export interface ExecutableLookup {
  /** The nhd.path setting ("" when unset). */
  setting: string;
  /** PATH of the extension host. */
  pathEnv: string | undefined;
  workspaceFolders: readonly string[];
  platform?: NodeJS.Platform;
  isExecutable?: (file: string) => boolean;
}

/**
 * The nhd.path setting; else `nhd` on PATH; else `node_modules/.bin/nhd` of a workspace folder
 * (the repository itself, or a project that installs nhd with npm); else plain `nhd`, which fails
 * to spawn with a message that names the setting.
 */
export function resolveNhdExecutable(lookup: ExecutableLookup): NhdExecutable {
  const isExecutable = lookup.isExecutable ?? defaultIsExecutable;
  const win = (lookup.platform ?? process.platform) === 'win32';
  const names = win ? ['nhd.cmd', 'nhd.exe', 'nhd'] : ['nhd'];
  if (lookup.setting.trim() !== '') {
    const command = lookup.setting.trim();
    const dir = path.dirname(command);
    return { command, source: 'setting', ...(path.basename(dir) === '.bin' ? { pathPrepend: dir } : {}) };
  }
  for (const dir of (lookup.pathEnv ?? '').split(win ? ';' : ':').filter(Boolean)) {
    for (const name of names) if (isExecutable(path.join(dir, name))) return { command: path.join(dir, name), source: 'path' };
  }
  for (const folder of lookup.workspaceFolders) {
    const bin = path.join(folder, 'node_modules', '.bin');
    for (const name of names) if (isExecutable(path.join(bin, name))) return { command: path.join(bin, name), pathPrepend: bin, source: 'workspace' };
  }
  return { command: 'nhd', source: 'fallback' };
}

/** The environment to spawn nhd with. */
export function spawnEnv(base: NodeJS.ProcessEnv, exe: NhdExecutable, delimiter = path.delimiter): NodeJS.ProcessEnv {
  if (!exe.pathPrepend) return { ...base };
  const key = Object.keys(base).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
  return { ...base, [key]: [exe.pathPrepend, base[key]].filter(Boolean).join(delimiter) };
}

function defaultIsExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
