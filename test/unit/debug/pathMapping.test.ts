import { describe, expect, it } from 'vitest';
import { eventToLocal, PathMapping, requestToRemote, responseToLocal } from '../../../server/debug/pathMapping';

describe('PathMapping', () => {
  const m = new PathMapping('/home/me/app/', '/workspace');

  it('maps paths under a root both ways, and the roots themselves', () => {
    expect(m.toRemote('/home/me/app/cmd/main.go')).toBe('/workspace/cmd/main.go');
    expect(m.toLocal('/workspace/cmd/main.go')).toBe('/home/me/app/cmd/main.go');
    expect(m.toRemote('/home/me/app')).toBe('/workspace');
    expect(m.toLocal('/workspace')).toBe('/home/me/app');
  });

  it('leaves paths outside the roots alone, including prefixes that are not a directory boundary', () => {
    expect(m.toLocal('/usr/local/go/src/fmt/print.go')).toBe('/usr/local/go/src/fmt/print.go');
    expect(m.toLocal('/workspace2/x.go')).toBe('/workspace2/x.go');
    expect(m.toRemote('/home/me/application/x.go')).toBe('/home/me/application/x.go');
  });

  it('maps a root of / on either side', () => {
    const fromSlash = new PathMapping('/home/me/app', '/');
    expect(fromSlash.toLocal('/app.py')).toBe('/home/me/app/app.py');
    expect(fromSlash.toRemote('/home/me/app/app.py')).toBe('/app.py');
  });

  it('takes a Windows local root: either separator in, backslashes out, no case', () => {
    const w = new PathMapping('C:\\src\\App', '/app');
    expect(w.toRemote('c:\\src\\app\\pkg\\a.go')).toBe('/app/pkg/a.go');
    expect(w.toRemote('C:/src/App/pkg/a.go')).toBe('/app/pkg/a.go');
    expect(w.toLocal('/app/pkg/a.go')).toBe('C:\\src\\App\\pkg\\a.go');
    expect(w.toLocal('/usr/lib/x.py')).toBe('/usr/lib/x.py');
    expect(new PathMapping('C:\\', '/app').toLocal('/app/a.go')).toBe('C:\\a.go');
  });
});

describe('mapping DAP messages', () => {
  const m = new PathMapping('/local', '/remote');

  it('makes request paths remote without touching the input', () => {
    const args = { source: { name: 'a.go', path: '/local/a.go' }, breakpoints: [{ line: 3 }] };
    expect(requestToRemote('setBreakpoints', args, m)).toEqual({ source: { name: 'a.go', path: '/remote/a.go' }, breakpoints: [{ line: 3 }] });
    expect(args.source.path).toBe('/local/a.go');
    expect(requestToRemote('breakpointLocations', { source: { path: '/local/a.go' }, line: 1 }, m)).toEqual({ source: { path: '/remote/a.go' }, line: 1 });
    expect(requestToRemote('source', { source: { path: '/local/a.go', sourceReference: 0 }, sourceReference: 0 }, m).source.path).toBe('/remote/a.go');
    expect(requestToRemote('gotoTargets', { source: { path: '/local/a.go' }, line: 1 }, m).source.path).toBe('/remote/a.go');
    expect(requestToRemote('threads', undefined, m)).toBeUndefined();
  });

  it('makes response paths local: breakpoints, frames, loaded sources, scopes, related sources', () => {
    expect(responseToLocal('stackTrace', { stackFrames: [{ id: 1, source: { path: '/remote/a.go' } }, { id: 2 }, { id: 3, source: { path: '/usr/x.go' } }] }, m)).toEqual({
      stackFrames: [{ id: 1, source: { path: '/local/a.go' } }, { id: 2 }, { id: 3, source: { path: '/usr/x.go' } }],
    });
    expect(responseToLocal('setBreakpoints', { breakpoints: [{ id: 1, verified: true, source: { path: '/remote/a.go' } }] }, m).breakpoints[0]!.source.path).toBe('/local/a.go');
    expect(responseToLocal('setFunctionBreakpoints', { breakpoints: [{ source: { path: '/remote/b.go' } }] }, m).breakpoints[0]!.source.path).toBe('/local/b.go');
    expect(responseToLocal('loadedSources', { sources: [{ path: '/remote/a.py', sources: [{ path: '/remote/b.py' }] }] }, m)).toEqual({
      sources: [{ path: '/local/a.py', sources: [{ path: '/local/b.py' }] }],
    });
    expect(responseToLocal('scopes', { scopes: [{ name: 'Locals', source: { path: '/remote/a.go' } }] }, m).scopes[0]!.source.path).toBe('/local/a.go');
    expect(responseToLocal('disassemble', { instructions: [{ address: '0x1', location: { path: '/remote/a.go' } }] }, m).instructions[0]!.location.path).toBe('/local/a.go');
    expect(responseToLocal('variables', { variables: [{ name: 'path', value: '/remote/a.go' }] }, m).variables[0]!.value).toBe('/remote/a.go');
  });

  it('makes event paths local: breakpoint, loadedSource, output', () => {
    expect(eventToLocal('breakpoint', { reason: 'changed', breakpoint: { id: 1, source: { path: '/remote/a.go' } } }, m).breakpoint.source.path).toBe('/local/a.go');
    expect(eventToLocal('loadedSource', { reason: 'new', source: { path: '/remote/a.py' } }, m).source.path).toBe('/local/a.py');
    expect(eventToLocal('output', { output: 'x', source: { path: '/remote/a.py' }, line: 2 }, m).source.path).toBe('/local/a.py');
    expect(eventToLocal('output', { output: 'no source' }, m)).toEqual({ output: 'no source' });
    expect(eventToLocal('stopped', { reason: 'breakpoint', threadId: 1 }, m)).toEqual({ reason: 'breakpoint', threadId: 1 });
  });
});
