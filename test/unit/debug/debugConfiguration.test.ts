import { describe, expect, it } from 'vitest';
import { BreakpointIds, DebugConfiguration } from '../../../server/debug/debugConfiguration';
import { answeredByProxy, debuggerAttachArguments, refusedWhileRunning } from '../../../server/debug/debuggers';

describe('DebugConfiguration', () => {
  it('keeps the last breakpoints per source, function and exception breakpoints, and replays them in IDE order', () => {
    const c = new DebugConfiguration();
    c.record('setBreakpoints', { source: { path: '/l/a.go' }, breakpoints: [{ line: 1 }] }, [{ id: 1 }]);
    c.record('setBreakpoints', { source: { path: '/l/b.go' }, breakpoints: [{ line: 2 }] }, [{ id: 2 }]);
    c.record('setBreakpoints', { source: { path: '/l/a.go' }, breakpoints: [{ line: 5 }, { line: 6 }] }, [{ id: 3 }, { id: 4 }]);
    c.record('setBreakpoints', { source: { path: '/l/b.go' }, breakpoints: [] }, []);
    c.record('setBreakpoints', { source: { sourceReference: 7 }, breakpoints: [{ line: 1 }] }, [{ id: 9 }]);
    c.record('setExceptionBreakpoints', { filters: ['raised'] }, undefined);
    c.record('setFunctionBreakpoints', { breakpoints: [{ name: 'main.greet' }] }, [{ id: 5 }]);
    expect(c.configurationDone).toBe(false);
    c.record('configurationDone', undefined, undefined);
    expect(c.configurationDone).toBe(true);
    expect(c.replay()).toEqual([
      { command: 'setBreakpoints', args: { source: { path: '/l/a.go' }, breakpoints: [{ line: 5 }, { line: 6 }] }, key: 'source:/l/a.go' },
      { command: 'setFunctionBreakpoints', args: { breakpoints: [{ name: 'main.greet' }] }, key: 'functions' },
      { command: 'setExceptionBreakpoints', args: { filters: ['raised'] }, key: 'exceptions' },
    ]);
    expect(c.ids('source:/l/a.go')).toEqual([3, 4]);
    expect(c.ids('functions')).toEqual([5]);
    expect(c.sourcePaths()).toEqual(['/l/a.go']);
    expect(c.hasFunctionBreakpoints()).toBe(true);
  });
});

describe('BreakpointIds', () => {
  it('gives the IDE its own ids and binds a new debugger ids to the old ones', () => {
    const ids = new BreakpointIds();
    // debugpy numbers from 0, delve from 1: the IDE gets 1, 2 either way.
    expect(ids.translate([{ id: 0, verified: true }, { id: 1, verified: true }, { verified: false }])).toEqual([
      { id: 1, verified: true },
      { id: 2, verified: true },
      { verified: false },
    ]);
    ids.newDebugger();
    expect(ids.lookup(0)).toBeUndefined();
    ids.bind(7, 2);
    expect(ids.toIde(7)).toBe(2);
    expect(ids.toIde(8)).toBe(3);
  });
});

describe('debuggers', () => {
  it('turns nhd attach arguments into each debugger\'s own, passing the rest through', () => {
    const args = { language: 'go' as const, port: 1, host: 'h', localRoot: '/l', remoteRoot: '/r', workload: 'deployment/a', showGlobalVariables: true };
    expect(debuggerAttachArguments('go', args)).toEqual({ request: 'attach', mode: 'remote', showGlobalVariables: true });
    expect(debuggerAttachArguments('python', { ...args, language: 'python', justMyCode: false })).toEqual({ request: 'attach', justMyCode: false, showGlobalVariables: true });
    expect(debuggerAttachArguments('python', { language: 'python' })).toEqual({ request: 'attach', justMyCode: true });
  });

  it('knows delve\'s refusals', () => {
    expect(answeredByProxy('go', 'setExceptionBreakpoints')).toEqual({ body: {} });
    expect(answeredByProxy('python', 'setExceptionBreakpoints')).toBeUndefined();
    const running = { success: false, message: 'Unable to process `configurationDone`', body: { error: { format: 'Unable to process `configurationDone`: debuggee is running' } } };
    expect(refusedWhileRunning('go', 'configurationDone', running)).toBe(true);
    expect(refusedWhileRunning('go', 'configurationDone', { success: true })).toBe(false);
    expect(refusedWhileRunning('python', 'configurationDone', running)).toBe(false);
  });
});
