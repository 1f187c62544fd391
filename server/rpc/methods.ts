import {
  Commands,
  ConfigLoadRequest,
  ConfigValidateRequest,
  DaemonStopRequest,
  StatusRequest,
  TestSleepRequest,
} from '../../protocol';
import { loadConfig, validateConfig } from '../configService';
import type { Daemon } from '../daemon';
import { CancelledError } from '../errors';
import { finiteNumber, nonEmptyString, object, oneOf, optional, progressToken, string } from './params';
import { clusterMethods } from './clusterMethods';
import { handler, type MethodHandler, type RequestContext } from './handler';
import { runMethods } from './runMethods';
import { debugMethods } from './debugMethods';
import { streamMethods } from './streamMethods';

/** The `nhd/` methods this daemon serves, by method name. */
export function nhdMethods(daemon: Daemon): Map<string, MethodHandler> {
  const methods = new Map<string, MethodHandler>([
    [StatusRequest.method, handler(object({}), () => daemon.status())],
    [
      ConfigValidateRequest.method,
      handler(object({ path: nonEmptyString, text: optional(string), form: optional(oneOf('file', 'annotation')) }), (p) =>
        validateConfig(p),
      ),
    ],
    [ConfigLoadRequest.method, handler(object({ localDir: nonEmptyString }), (p) => loadConfig(p.localDir))],
    [
      DaemonStopRequest.method,
      handler(object({ reason: string }), (p) => {
        // Answer first; the composition root closes connections on the next turn.
        setImmediate(() => daemon.requestStop(p.reason));
        return null;
      }),
    ],
  ]);
  for (const [method, h] of clusterMethods(daemon)) methods.set(method, h);
  for (const [method, h] of streamMethods(daemon)) methods.set(method, h);
  for (const [method, h] of runMethods(daemon)) methods.set(method, h);
  for (const [method, h] of debugMethods(daemon)) methods.set(method, h);
  if (daemon.options.testHooks) {
    methods.set(
      TestSleepRequest.method,
      handler(object({ ms: finiteNumber, workDoneToken: optional(progressToken) }), (p, ctx) => sleepWithProgress(p.ms, ctx), true),
    );
  }
  return methods;
}

/** Command ids for workspace/executeCommand whose method this daemon serves. */
export function nhdCommands(methods: Map<string, MethodHandler>): Map<string, string> {
  return new Map(Object.entries(Commands).filter(([, method]) => methods.has(method)));
}

async function sleepWithProgress(ms: number, { signal, progress }: RequestContext): Promise<number> {
  const started = Date.now();
  progress.begin('Sleeping', `0 of ${ms} ms`, 0);
  const step = Math.max(10, Math.min(100, ms / 10));
  while (Date.now() - started < ms) {
    if (signal.aborted) {
      progress.done('cancelled');
      throw new CancelledError();
    }
    await new Promise((resolve) => setTimeout(resolve, step));
    const elapsed = Math.min(ms, Date.now() - started);
    progress.report(`${elapsed} of ${ms} ms`, Math.round((elapsed / ms) * 100));
  }
  progress.done();
  return Date.now() - started;
}
