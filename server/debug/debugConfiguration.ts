/**
 * What the IDE configured in the debugger (breakpoints per source, function and exception
 * breakpoints, configurationDone), kept so that a restarted debugger gets the same settings without
 * the IDE noticing; and the breakpoint ids the IDE sees, which stay stable across debuggers.
 * Pure: the proxy records what it forwarded and asks for the requests to replay.
 */

/** A breakpoint as the debugger reports it (the fields the proxy reads). */
export interface DapBreakpoint {
  id?: number;
  verified?: boolean;
  [key: string]: unknown;
}

export interface ReplayRequest {
  command: 'setBreakpoints' | 'setFunctionBreakpoints' | 'setExceptionBreakpoints';
  /** With local paths, as the IDE sent them (the proxy maps them on the way out). */
  args: Record<string, unknown>;
  /** The key ids() answers to, for binding the new debugger's ids to the IDE's. */
  key: string;
}

/**
 * Breakpoint ids toward the IDE. Debuggers number their breakpoints themselves (delve from 1,
 * debugpy from 0) and start again after a restart; the IDE must keep one id per breakpoint, so the
 * proxy gives its own ids and translates: a new debugger's id is bound to the IDE id the same
 * breakpoint had before.
 */
export class BreakpointIds {
  private next = 1;
  private fromRemote = new Map<number, number>();

  /** Forgets the old debugger's ids (call when a new connection starts). */
  newDebugger(): void {
    this.fromRemote = new Map();
  }

  /** The IDE's id for a debugger's id, allocating one the first time. */
  toIde(remoteId: number): number {
    let id = this.fromRemote.get(remoteId);
    if (id === undefined) {
      id = this.next++;
      this.fromRemote.set(remoteId, id);
    }
    return id;
  }

  /** The IDE's id, when the debugger's id is known (events about unknown ids pass unchanged). */
  lookup(remoteId: number): number | undefined {
    return this.fromRemote.get(remoteId);
  }

  /** Says that the new debugger's `remoteId` is the breakpoint the IDE knows as `ideId`. */
  bind(remoteId: number, ideId: number): void {
    this.fromRemote.set(remoteId, ideId);
  }

  /** A copy of `breakpoints` with their ids made the IDE's (allocating). */
  translate<B extends DapBreakpoint>(breakpoints: B[]): B[] {
    return breakpoints.map((b) => (typeof b.id === 'number' ? { ...b, id: this.toIde(b.id) } : b));
  }
}

export class DebugConfiguration {
  /** Per local source path: the last setBreakpoints arguments and the IDE ids of the answer. */
  private readonly sources = new Map<string, { args: Record<string, unknown>; ideIds: (number | undefined)[] }>();
  private functions: { args: Record<string, unknown>; ideIds: (number | undefined)[] } | undefined;
  private exceptions: Record<string, unknown> | undefined;
  configurationDone = false;

  /**
   * Records a configuration request the debugger accepted, with the breakpoints of its answer
   * (ids already the IDE's). Breakpoints in sources known only by sourceReference are not kept:
   * a reference means nothing to the next debugger.
   */
  record(command: string, args: Record<string, unknown> | undefined, answered: DapBreakpoint[] | undefined): void {
    const ideIds = (answered ?? []).map((b) => b.id);
    switch (command) {
      case 'setBreakpoints': {
        const path = (args?.['source'] as { path?: unknown } | undefined)?.path;
        if (typeof path !== 'string') return;
        const list = args?.['breakpoints'];
        if (Array.isArray(list) && list.length === 0) this.sources.delete(path);
        else this.sources.set(path, { args: args!, ideIds });
        return;
      }
      case 'setFunctionBreakpoints':
        this.functions = { args: args ?? { breakpoints: [] }, ideIds };
        return;
      case 'setExceptionBreakpoints':
        this.exceptions = args ?? { filters: [] };
        return;
      case 'configurationDone':
        this.configurationDone = true;
        return;
    }
  }

  /** The requests that give a new debugger the IDE's settings, in the order an IDE sends them. */
  replay(): ReplayRequest[] {
    const out: ReplayRequest[] = [];
    for (const [path, { args }] of this.sources) out.push({ command: 'setBreakpoints', args, key: `source:${path}` });
    if (this.functions) out.push({ command: 'setFunctionBreakpoints', args: this.functions.args, key: 'functions' });
    if (this.exceptions) out.push({ command: 'setExceptionBreakpoints', args: this.exceptions, key: 'exceptions' });
    return out;
  }

  /** The IDE ids the answer to a replayed request had, slot by slot. */
  ids(key: string): (number | undefined)[] {
    if (key === 'functions') return this.functions?.ideIds ?? [];
    if (key.startsWith('source:')) return this.sources.get(key.slice('source:'.length))?.ideIds ?? [];
    return [];
  }

  hasFunctionBreakpoints(): boolean {
    const list = this.functions?.args['breakpoints'];
    return Array.isArray(list) && list.length > 0;
  }

  /** Local source paths that have breakpoints. */
  sourcePaths(): string[] {
    return [...this.sources.keys()];
  }
}
