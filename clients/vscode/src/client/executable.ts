import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where the `nhd` executable is and how to spawn it. */
export interface NhdExecutable {
  command: string;
  /** Put first on PATH: node_modules/.bin also holds the Node (≥ 22) that nhd's shebang needs. */
  pathPrepend?: string;
  /** How it was found, for the output channel and error messages. */
  source: 'setting' | 'path' | 'workspace' | 'bundled' | 'fallback';
}

export interface ExecutableLookup {
  /** The nhd.path setting ("" when unset). */
  setting: string;
  /** PATH of the extension host. */
  pathEnv: string | undefined;
  workspaceFolders: readonly string[];
  /**
   * The single executable inside a platform-specific .vsix (dist/bin/nhd) and its version, which
   * is the extension's own (they are built together); absent from the universal .vsix.
   */
  bundled?: { command: string; version: string } | undefined;
  platform?: NodeJS.Platform;
  isExecutable?: (file: string) => boolean;
  /** The version an nhd reports (`nhd --version`); undefined when it does not run. */
  versionOf?: (exe: NhdExecutable) => string | undefined;
}

/**
 * The nhd.path setting; else `nhd` on PATH, then `node_modules/.bin/nhd` of a workspace folder (a
 * project that installs nhd with npm), each taken only when it is newer than the executable the
 * extension carries, if it carries one; else that executable; else plain `nhd`, which fails to
 * spawn with a message that names the setting. docs/clients/vscode.md says the same.
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
  const installed: NhdExecutable[] = [];
  for (const dir of (lookup.pathEnv ?? '').split(win ? ';' : ':').filter(Boolean)) {
    for (const name of names) if (isExecutable(path.join(dir, name))) installed.push({ command: path.join(dir, name), source: 'path' });
  }
  for (const folder of lookup.workspaceFolders) {
    const bin = path.join(folder, 'node_modules', '.bin');
    for (const name of names) if (isExecutable(path.join(bin, name))) installed.push({ command: path.join(bin, name), pathPrepend: bin, source: 'workspace' });
  }
  const bundled = lookup.bundled;
  if (!bundled) return installed[0] ?? { command: 'nhd', source: 'fallback' };
  const versionOf = lookup.versionOf ?? defaultVersionOf;
  for (const exe of installed) {
    const version = versionOf(exe);
    if (version !== undefined && compareVersions(version, bundled.version) > 0) return exe;
  }
  return { command: bundled.command, source: 'bundled' };
}

/**
 * The single executable a platform-specific .vsix carries (dist/bin/nhd), or undefined in the
 * universal one. Made executable again should an unpacking have lost its mode.
 */
export function bundledExecutable(extensionPath: string, version: string, platform: NodeJS.Platform = process.platform): { command: string; version: string } | undefined {
  const command = path.join(extensionPath, 'dist', 'bin', platform === 'win32' ? 'nhd.exe' : 'nhd');
  if (!fs.existsSync(command)) return undefined;
  if (platform !== 'win32' && !defaultIsExecutable(command)) {
    try {
      fs.chmodSync(command, 0o755);
    } catch {
      // Spawning it will say what is wrong.
    }
  }
  return { command, version };
}

/** Semantic versions compared: <0, 0 or >0; a prerelease (`0.2.0-rc.1`) comes before its release. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = '', pre] = v.trim().replace(/^v/, '').split('-', 2);
    return { parts: core.split('.').map((n) => Number.parseInt(n, 10) || 0), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.parts[i] ?? 0) - (y.parts[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}

/** The environment to spawn nhd with. */
export function spawnEnv(base: NodeJS.ProcessEnv, exe: NhdExecutable, delimiter = path.delimiter): NodeJS.ProcessEnv {
  if (!exe.pathPrepend) return { ...base };
  const key = Object.keys(base).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
  return { ...base, [key]: [exe.pathPrepend, base[key]].filter(Boolean).join(delimiter) };
}

/** `nhd --version` prints the bare version; an nhd that cannot run (an old Node on PATH) has none. */
function defaultVersionOf(exe: NhdExecutable): string | undefined {
  const result = spawnSync(exe.command, ['--version'], { encoding: 'utf8', timeout: 5000, env: spawnEnv(process.env, exe), shell: process.platform === 'win32' && /\.cmd$/i.test(exe.command) });
  if (result.status !== 0) return undefined;
  return /\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?/.exec(result.stdout)?.[0];
}

function defaultIsExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
