import type { DebugAttachArguments, DebugLanguage } from '../ports';

/**
 * What the proxy knows of each debugger, pure: from the IDE's attach request (nhd's fields) to the
 * debugger's own, its adapterID, how to start it, and the requests the proxy answers for it.
 *
 * The proxy maps paths itself (pathMapping.ts), so the debugger is given no substitutePath or
 * pathMappings: one mapping for both languages, over every message, unchanged across reconnects.
 * What the IDE adds beyond nhd's fields (justMyCode, showGlobalVariables, stackTraceDepth, ...)
 * goes to the debugger unchanged.
 */

/** nhd's own attach fields, which the debugger never sees (plus DAP's bookkeeping ones). */
const NHD_FIELDS = new Set([
  'language', 'workload', 'namespace', 'container', 'context', 'localRoot', 'remoteRoot', 'host', 'port',
  'readyTimeoutMs', 'type', 'name', 'request', '__sessionId', '__configurationTarget', 'debugServer',
]);

export const DEBUG_LANGUAGES: readonly DebugLanguage[] = ['go', 'python'];

export function isDebugLanguage(value: unknown): value is DebugLanguage {
  return typeof value === 'string' && (DEBUG_LANGUAGES as readonly string[]).includes(value);
}

/** What the proxy sends as the debugger's `attach` arguments. */
export function debuggerAttachArguments(language: DebugLanguage, args: DebugAttachArguments): Record<string, unknown> {
  const passThrough: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) if (!NHD_FIELDS.has(key)) passThrough[key] = value;
  switch (language) {
    case 'go':
      // delve's headless server (`dlv --headless --accept-multiclient`) takes DAP clients with
      // attach mode "remote": the debuggee is already running under it.
      return { ...passThrough, request: 'attach', mode: 'remote' };
    case 'python':
      // debugpy listening with `--listen`: attach to it; justMyCode as VS Code's default.
      return { justMyCode: true, ...passThrough, request: 'attach' };
  }
}

/** The adapterID the proxy announces to each debugger in `initialize`. */
export function debuggerAdapterId(language: DebugLanguage): string {
  return language === 'go' ? 'go' : 'python';
}

/** How to start each debugger so that the proxy can attach, for error messages and docs. */
export function debuggerStartHint(language: DebugLanguage, port: number | string = 'PORT'): string {
  return language === 'go'
    ? `dlv exec ./app --headless --listen=:${port} --accept-multiclient --api-version=2 --continue (or dlv debug with the same flags)`
    : `python -m debugpy --listen 0.0.0.0:${port} app.py`;
}

/**
 * A request the proxy answers itself for this debugger, with this body. delve ignores
 * setExceptionBreakpoints (panics and fatal throws always stop) but refuses it while the debuggee
 * runs, which it always does under `--continue`; VS Code sends it in every configuration sequence.
 */
export function answeredByProxy(language: DebugLanguage, command: string): { body: Record<string, unknown> } | undefined {
  if (language === 'go' && command === 'setExceptionBreakpoints') return { body: {} };
  return undefined;
}

/**
 * delve refuses configurationDone with "debuggee is running" when the program runs under the
 * headless server's own `--continue` rather than under this client: it halts the program on
 * attach, but a `--continue` that had not started yet resumes it right after (a reattach within
 * milliseconds of a restart hits this). Stops would then never be reported to the client, so the
 * proxy pauses the program and sends configurationDone again, which resumes it under the client.
 */
export function refusedWhileRunning(language: DebugLanguage, command: string, response: { success: boolean; message?: string; body?: unknown }): boolean {
  if (response.success || language !== 'go' || command !== 'configurationDone') return false;
  const format = (response.body as { error?: { format?: unknown } } | undefined)?.error?.format;
  return /debuggee is running/.test(`${response.message ?? ''} ${typeof format === 'string' ? format : ''}`);
}
