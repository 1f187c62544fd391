import * as path from 'node:path';
import { ErrorCode } from '../../protocol';
import { NhdError } from '../errors';
import type { DebugAttachArguments, DebugEndpoint, DebugProgress, DebugTarget, DebugTargetProvider } from '../ports';
import { DEBUG_LANGUAGES, isDebugLanguage } from './debuggers';

/**
 * The simplest DebugTargetProvider: a debugger that is already reachable at the attach request's
 * host and port (a local debugger, or a port-forward someone else keeps open). After a lost
 * connection it offers the same endpoint again, and the proxy's bounded readiness wait decides:
 * a debugger that is back within the timeout (a restart) is reattached, none means the session
 * ends. The integration tests and the benchmark use it; dev sessions get the cluster provider.
 */
export class DirectTargetProvider implements DebugTargetProvider {
  constructor(private readonly options: { readyTimeoutMs?: number } = {}) {}

  async prepare(args: DebugAttachArguments, progress: DebugProgress): Promise<DebugTarget> {
    if (!isDebugLanguage(args.language)) {
      throw new NhdError(ErrorCode.DebugAttachInvalid, `attach needs "language": one of ${DEBUG_LANGUAGES.join(', ')} (got ${JSON.stringify(args.language)}).`);
    }
    if (typeof args.port !== 'number' || !Number.isInteger(args.port) || args.port <= 0 || args.port > 65535) {
      throw new NhdError(ErrorCode.DebugAttachInvalid, `attach needs "port", the debugger's port (got ${JSON.stringify(args.port)}).`);
    }
    for (const key of ['localRoot', 'remoteRoot'] as const) {
      const value = args[key];
      if (value !== undefined && (typeof value !== 'string' || !(path.isAbsolute(value) || path.win32.isAbsolute(value)))) {
        throw new NhdError(ErrorCode.DebugAttachInvalid, `"${key}" must be an absolute path (got ${JSON.stringify(value)}).`);
      }
    }
    const localRoot = args.localRoot ?? args.remoteRoot ?? '/';
    const endpoint: DebugEndpoint = { host: typeof args.host === 'string' ? args.host : '127.0.0.1', port: args.port };
    progress.report(`Using the debugger at ${endpoint.host}:${endpoint.port}`);
    const readyTimeoutMs = typeof args['readyTimeoutMs'] === 'number' ? args['readyTimeoutMs'] : this.options.readyTimeoutMs;
    return {
      endpoint,
      language: args.language,
      localRoot,
      remoteRoot: args.remoteRoot ?? localRoot,
      ...(readyTimeoutMs !== undefined ? { readyTimeoutMs } : {}),
      restarted: async () => endpoint,
      dispose: async () => {},
    };
  }
}
