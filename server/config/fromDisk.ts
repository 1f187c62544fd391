// The one module of server/config that touches the file system.

import fs from 'node:fs';
import path from 'node:path';
import { parseDevConfig } from './parse';
import type { DevConfigResult } from './types';

/** Reads a file as UTF-8, or undefined when it cannot be read. */
export function readFileOrUndefined(absPath: string): string | undefined {
  try {
    return fs.readFileSync(absPath, 'utf8');
  } catch {
    return undefined;
  }
}

/** Reads and parses a dev config (or manifests with dev.nocalhost annotations) from disk. */
export function loadDevConfigFile(file: string, env?: Readonly<Record<string, string | undefined>>): DevConfigResult {
  const abs = path.resolve(file);
  const text = readFileOrUndefined(abs);
  if (text === undefined) {
    const zero = { line: 0, character: 0 };
    return { services: [], diagnostics: [{ severity: 'error', code: 'file-not-found', message: `cannot read ${abs}`, range: { start: zero, end: zero } }] };
  }
  return parseDevConfig({ text, fileName: abs, ...(env ? { env } : {}), readFile: readFileOrUndefined });
}

/** `<dir>/.nocalhost/config.yaml` (or `.yml`) when it exists. */
export function findDevConfigFile(localDir: string): string | undefined {
  // Like git with .git: the service's source is often a subdirectory of the app that holds the
  // config (bookinfo/authors with bookinfo/.nocalhost/config.yaml), so look upwards too.
  for (let dir = path.resolve(localDir); ; dir = path.dirname(dir)) {
    for (const name of ['config.yaml', 'config.yml']) {
      const candidate = path.join(dir, '.nocalhost', name);
      try {
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        // Not there; try the next name.
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}
