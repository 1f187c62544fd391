import { Commands, ConfigLoadRequest, ConfigValidateRequest, DaemonStopRequest, StatusRequest, TestSleepRequest } from '../../protocol';
import { loadConfig, validateConfig } from '../configService';
import type { Daemon } from '../daemon';
import { CancelledError } from '../errors';
import { clusterMethods } from './clusterMethods';
import { debugMethods } from './debugMethods';
import { byMethod, handle, type Method, type MethodTable, type RequestContext } from './handler';
import { finiteNumber, nonEmptyString, object, oneOf, optional, progressToken, string } from './params';
import { runMethods } from './runMethods';
import { streamMethods } from './streamMethods';

/** The `nhd/` methods this daemon serves, by method name. */
export function nhdMethods(daemon: Daemon): Map<string, Method> {
  const { services } = daemon;
  return byMethod(
    daemonMethods(daemon),
    clusterMethods(services),
    streamMethods(services),
    runMethods(services),
    debugMethods(services),
    daemon.options.testHooks ? testMethods() : [],
  );
}

/** Command ids for workspace/executeCommand whose method this daemon serves. */
export function nhdCommands(methods: Map<string, Method>): Map<string, string> {
  return new Map(Object.entries(Commands).filter(([, method]) => methods.has(method)));
}

/** The daemon itself and the dev config files. */
function daemonMethods(daemon: Daemon): MethodTable {
  return [
    handle(StatusRequest, object({}), () => daemon.status()),
    handle(ConfigValidateRequest, object({ path: nonEmptyString, text: optional(string), form: optional(oneOf('file', 'annotation')) }), (p) => validateConfig(p)),
    handle(ConfigLoadRequest, object({ localDir: nonEmptyString }), (p) => loadConfig(p.localDir)),
    handle(DaemonStopRequest, object({ reason: string }), (p) => {
      // Answer first; the composition root closes connections on the next turn.
      setImmediate(() => daemon.requestStop(p.reason));
      return null;
    }),
  ];
}

/** `nhd/test/*`, served with NHD_TEST_HOOKS=1 only. */
function testMethods(): MethodTable {
  return [
    handle(TestSleepRequest, object({ ms: finiteNumber, workDoneToken: optional(progressToken) }), (p, context) => sleepWithProgress(p.ms, context), {
      long: true,
    }),
  ];
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
