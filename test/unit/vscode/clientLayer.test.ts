import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDevWarnings, formatReload, formatRunChange, formatSyncDetails } from '../../../clients/vscode/src/client/format';
import { bundledExecutable, compareVersions, resolveNhdExecutable, spawnEnv } from '../../../clients/vscode/src/client/executable';
import { progressAdapter, type ProgressStep } from '../../../clients/vscode/src/client/progress';
import { parsePortPair, parseWorkload } from '../../../clients/vscode/src/client/workloadRef';
import type { RunInfo } from '../../../protocol';

/** The extension's pure helpers (no editor needed). */
describe('the extension client layer', () => {
  it('parses workloads as kubectl spells them', () => {
    expect(parseWorkload('deploy/authors')).toEqual({ kind: 'deployment', name: 'authors' });
    expect(parseWorkload(' StatefulSet/db-0 ')).toEqual({ kind: 'statefulset', name: 'db-0' });
    expect(parseWorkload('service/x')).toBeUndefined();
    expect(parseWorkload('authors')).toBeUndefined();
  });

  it('parses LOCAL:REMOTE port pairs, and says what is wrong', () => {
    expect(parsePortPair('8080:9080')).toEqual({ localPort: 8080, remotePort: 9080 });
    expect(parsePortPair(':9080')).toEqual({ localPort: 0, remotePort: 9080 });
    expect(parsePortPair('9080')).toEqual({ localPort: 9080, remotePort: 9080 });
    expect(parsePortPair('x:1')).toMatch(/LOCAL:REMOTE/);
    expect(parsePortPair('1:70000')).toMatch(/1 to 65535/);
    expect(parsePortPair('')).toMatch(/LOCAL:REMOTE/);
  });

  it("turns $/progress percentages into withProgress increments", () => {
    const steps: ProgressStep[] = [];
    const report = progressAdapter((s) => steps.push(s));
    report({ kind: 'begin', title: 'Dev start', percentage: 0 });
    report({ kind: 'report', message: 'backup', percentage: 10 });
    report({ kind: 'report', message: 'image pull', percentage: 60 });
    report({ kind: 'report', percentage: 60 });
    report({ kind: 'report', message: 'ready', percentage: 100 });
    report({ kind: 'end' });
    expect(steps).toEqual([{ message: 'backup', increment: 10 }, { message: 'image pull', increment: 50 }, { message: 'ready', increment: 40 }]);
  });

  it('finds nhd: the setting, then PATH, then node_modules/.bin of a workspace folder (whose Node goes first on PATH)', () => {
    const exists = (files: string[]) => (f: string) => files.includes(f);
    expect(resolveNhdExecutable({ setting: '/opt/nhd', pathEnv: '/usr/bin', workspaceFolders: [], isExecutable: exists([]) })).toEqual({ command: '/opt/nhd', source: 'setting' });
    expect(resolveNhdExecutable({ setting: '', pathEnv: '/a:/usr/local/bin', workspaceFolders: ['/ws'], platform: 'linux', isExecutable: exists(['/usr/local/bin/nhd', '/ws/node_modules/.bin/nhd']) })).toEqual({ command: '/usr/local/bin/nhd', source: 'path' });
    const ws = resolveNhdExecutable({ setting: '', pathEnv: '/usr/bin', workspaceFolders: ['/other', '/ws'], platform: 'linux', isExecutable: exists(['/ws/node_modules/.bin/nhd']) });
    expect(ws).toEqual({ command: '/ws/node_modules/.bin/nhd', pathPrepend: '/ws/node_modules/.bin', source: 'workspace' });
    expect(spawnEnv({ PATH: '/usr/bin', HOME: '/h' }, ws, ':')).toEqual({ PATH: '/ws/node_modules/.bin:/usr/bin', HOME: '/h' });
    expect(resolveNhdExecutable({ setting: '', pathEnv: '', workspaceFolders: [], isExecutable: exists([]) })).toEqual({ command: 'nhd', source: 'fallback' });
  });

  it('prefers the executable inside a platform-specific .vsix unless nhd.path is set or PATH (or the workspace) has a newer nhd', () => {
    const bundled = { command: '/ext/dist/bin/nhd', version: '0.2.0' };
    const versions: Record<string, string | undefined> = { '/usr/local/bin/nhd': '0.1.9', '/opt/new/nhd': '0.3.0-rc.1', '/ws/node_modules/.bin/nhd': '0.2.1', '/broken/nhd': undefined };
    const asked: string[] = [];
    const versionOf = (exe: { command: string }) => (asked.push(exe.command), versions[exe.command]);
    const all = (f: string) => f in versions;
    const find = (pathEnv: string, workspaceFolders: string[] = []) => resolveNhdExecutable({ setting: '', pathEnv, workspaceFolders, platform: 'linux', isExecutable: all, bundled, versionOf });
    expect(find('/usr/local/bin')).toEqual({ command: '/ext/dist/bin/nhd', source: 'bundled' });
    expect(find('/broken:/usr/local/bin:/opt/new')).toEqual({ command: '/opt/new/nhd', source: 'path' });
    expect(find('/usr/local/bin', ['/ws'])).toEqual({ command: '/ws/node_modules/.bin/nhd', pathPrepend: '/ws/node_modules/.bin', source: 'workspace' });
    expect(find('')).toEqual({ command: '/ext/dist/bin/nhd', source: 'bundled' });
    expect(resolveNhdExecutable({ setting: '/my/nhd', pathEnv: '/opt/new', workspaceFolders: [], isExecutable: all, bundled, versionOf })).toEqual({ command: '/my/nhd', source: 'setting' });
    expect(asked).toEqual(['/usr/local/bin/nhd', '/broken/nhd', '/usr/local/bin/nhd', '/opt/new/nhd', '/usr/local/bin/nhd', '/ws/node_modules/.bin/nhd']);
  });

  it('compares versions as semver does for releases and prereleases', () => {
    expect(compareVersions('0.10.0', '0.9.9')).toBeGreaterThan(0);
    expect(compareVersions('1.0.0', '1.0.0')).toBe(0);
    expect(compareVersions('v1.2.3', '1.2.3')).toBe(0);
    expect(compareVersions('1.0.0-rc.1', '1.0.0')).toBeLessThan(0);
    expect(compareVersions('1.0.0', '1.0.0-rc.1')).toBeGreaterThan(0);
    expect(compareVersions('1.0.0-rc.1', '1.0.0-rc.2')).toBeLessThan(0);
  });

  it('finds the executable a platform-specific .vsix carries and makes it executable again', () => {
    const ext = fs.mkdtempSync(path.join(os.tmpdir(), 'nhd-ext-'));
    expect(bundledExecutable(ext, '0.1.0', 'linux')).toBeUndefined();
    fs.mkdirSync(path.join(ext, 'dist', 'bin'), { recursive: true });
    fs.writeFileSync(path.join(ext, 'dist', 'bin', 'nhd'), '#!/bin/sh\n', { mode: 0o644 });
    expect(bundledExecutable(ext, '0.1.0', 'linux')).toEqual({ command: path.join(ext, 'dist', 'bin', 'nhd'), version: '0.1.0' });
    expect(fs.statSync(path.join(ext, 'dist', 'bin', 'nhd')).mode & 0o111).toBe(0o111);
    fs.rmSync(ext, { recursive: true, force: true });
  });

  it("says what a run did, as nhd run does", () => {
    expect(formatReload({ trigger: 'batch', files: 1, bytes: 1536, syncMs: 12, stopMs: 95, startMs: 41 })).toBe('1 file (1.5 KiB) synced in 12 ms, stopped in 95 ms, started in 41 ms');
    const run = { state: 'exited', exitCode: 1, ended: false, message: undefined } as unknown as RunInfo;
    expect(formatRunChange(run)).toBe('the program exited with code 1; the next change starts it again');
    expect(formatRunChange({ ...run, ended: true, exitCode: 143, message: 'stopped' })).toBe('the program exited with code 143 (stopped)');
    expect(formatRunChange({ ...run, state: 'running' })).toBeUndefined();
  });

  it('prints sync details as nhd sync status does', () => {
    expect(formatSyncDetails([])).toMatch(/^No file sync runs/);
    expect(formatSyncDetails([{ sessionId: 'c/n/deployment/a', localDir: '/src', remoteDir: '/w', type: 'send', state: 'watching', totals: { batches: 2, files: 3, bytes: 10 }, held: ['docs'], conflicts: [], reconnects: 1, warnings: ['inotify limit close'] }])).toBe(
      'c/n/deployment/a: watching, send /src -> /w\n  2 batches, 3 files, 10 B since start; 1 reconnects\n  held deletes (deleteProtection): docs; `nhd sync resync KIND/NAME --allow-deletes` applies them\n  warning: inotify limit close\n',
    );
  });
});

describe('dev start warnings', () => {
  it('are one notification: the warning itself, or how many and the first', () => {
    expect(formatDevWarnings('deployment/web', [])).toBeUndefined();
    expect(formatDevWarnings('deployment/web', ['gitUrl is not applied: nhd does not clone'])).toBe('nhd: gitUrl is not applied: nhd does not clone');
    expect(formatDevWarnings('deployment/web', ['a', 'b', 'c'])).toBe('nhd: dev start of deployment/web has 3 warnings (all in the nhd output). The first: a');
  });
});
