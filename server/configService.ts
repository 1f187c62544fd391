import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ErrorCode,
  type ConfigDiagnostic,
  type ConfigLoadResult,
  type ConfigValidateParams,
  type ConfigValidateResult,
  type Position,
} from '../protocol';
import {
  completeDevConfig,
  findDevConfigFile,
  hoverDevConfig,
  parseDevConfig,
  type ConfigCompletion,
  type DevConfigResult,
  type DocFormat,
} from './config';
import { NhdError } from './errors';

/**
 * The daemon's use of the dev-config module: reading files, resolving includes against the disk,
 * and the errors a person sees. Templating reads the daemon's environment (`${VAR}`); a shared
 * daemon keeps the environment of the shell that started it, so `nhd config validate` in another
 * shell may see other values (docs/config.md says so).
 */
export function validateConfig(params: ConfigValidateParams): ConfigValidateResult {
  const text = params.text ?? readConfigFile(params.path);
  return toResult(parseDevConfig({ text, fileName: params.path, form: params.form ?? 'file', env: process.env, readFile: readFileOrUndefined }));
}

export function loadConfig(localDir: string): ConfigLoadResult {
  const path = findDevConfigFile(localDir);
  if (path === undefined) {
    throw new NhdError(
      ErrorCode.ConfigNotFound,
      `No dev config for ${localDir}: no .nocalhost/config.yaml there or in a parent directory. Create one (docs/config.md) or point --local-dir at the service's source.`,
    );
  }
  return { path, ...validateConfig({ path }) };
}

/** Diagnostics of an open editor buffer. */
export function diagnoseConfigDocument(uri: string, text: string): ConfigDiagnostic[] {
  return parseDevConfig({ text, fileName: fileURLToPath(uri), form: 'file', env: process.env, readFile: readFileOrUndefined }).diagnostics;
}

/** The files that get language features: `.nocalhost/config.yaml` (or `.yml`) anywhere. */
export function isDevConfigUri(uri: string): boolean {
  return uri.startsWith('file:') && /\/\.nocalhost\/config\.ya?ml$/.test(uri);
}

export function completeConfig(text: string, position: Position, format: DocFormat): ConfigCompletion[] {
  return completeDevConfig(text, position, format);
}

export function hoverConfig(text: string, position: Position, format: DocFormat) {
  return hoverDevConfig(text, position, format);
}

function toResult(result: DevConfigResult): ConfigValidateResult {
  return { services: result.services, diagnostics: result.diagnostics };
}

function readConfigFile(path: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : code;
    throw new NhdError(ErrorCode.FileNotReadable, `Cannot read ${path}: ${why}.`);
  }
}

function readFileOrUndefined(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
