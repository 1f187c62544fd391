import { beforeEach, describe, expect, it } from 'vitest';
import { SyncDidChangeNotification, SyncStatusRequest, type SyncBatch, type SyncStatus } from '../../../protocol';
import { NhdClient } from '../../../clients/vscode/src/client/nhdClient';
import { syncStatusView } from '../../../clients/vscode/src/client/views';
import { SyncStatusBar } from '../../../clients/vscode/src/ui/statusBar';
import { fake } from './fakeVscode';
import { FakeRpc } from './fakeRpc';

const status = (name: string, extra: Partial<SyncStatus> = {}): SyncStatus => ({
  sessionId: `kind-nhd/demo/deployment/${name}`, localDir: `/src/${name}`, remoteDir: '/home/nocalhost-dev', type: 'send', state: 'watching',
  totals: { batches: 1, files: 3, bytes: 1200 }, held: [], conflicts: [], reconnects: 0, warnings: [], ...extra,
});
const batch = (latencyMs: number, at: string): SyncBatch => ({ kind: 'batch', direction: 'push', files: 1, bytes: 120, latencyMs, at, paths: ['app.js'], errors: [] });

describe('the sync status bar text', () => {
  it('is hidden while nothing syncs', () => {
    expect(syncStatusView([])).toMatchObject({ visible: false });
    expect(syncStatusView([status('authors', { state: 'stopped' })])).toMatchObject({ visible: false });
  });

  it("names the session and the last save's live latency", () => {
    expect(syncStatusView([status('authors', { lastBatch: batch(12.4, '2026-11-25T10:00:00Z') })])).toEqual({
      visible: true,
      text: '$(sync) nhd: authors live 12 ms',
      tooltip: 'kind-nhd/demo/deployment/authors: watching, last save live in 12 ms (1 file)\nClick for details.',
      warning: false,
    });
    expect(syncStatusView([status('authors')]).text).toBe('$(sync) nhd: authors in sync');
    expect(syncStatusView([status('authors', { state: 'starting' })]).text).toBe('$(sync~spin) nhd: authors syncing');
  });

  it('puts the worst state first, and warns', () => {
    const view = syncStatusView([status('authors', { lastBatch: batch(12, '2026-11-25T10:00:00Z') }), status('details', { state: 'reconnecting', error: 'pod restarted' })]);
    expect(view).toMatchObject({ text: '$(warning) nhd: details reconnecting (+1)', warning: true });
    expect(view.tooltip).toContain('kind-nhd/demo/deployment/details: reconnecting: pod restarted');
    expect(syncStatusView([status('a', { state: 'failed', error: 'no node' })]).text).toBe('$(error) nhd: a sync failed');
    const error = syncStatusView([status('a', { state: 'reconnecting' }), status('b', { state: 'error', error: 'Applying saved changes failed: ENOSPC' })]);
    expect(error).toMatchObject({ text: '$(error) nhd: b sync error (+1)', warning: true });
    expect(error.tooltip).toContain('kind-nhd/demo/deployment/b: error: Applying saved changes failed: ENOSPC');
    expect(syncStatusView([status('a', { held: ['src'] })]).text).toBe('$(warning) nhd: a deletes held');
    expect(syncStatusView([status('a', { conflicts: [{ path: 'x', copy: 'x.conflict', resolution: 'kept-both' }] })]).text).toBe('$(warning) nhd: a 1 conflict');
  });

  it('among healthy sessions shows the latest save', () => {
    const view = syncStatusView([status('authors', { lastBatch: batch(12, '2026-11-25T10:00:00Z') }), status('details', { lastBatch: batch(1500, '2026-11-25T10:05:00Z') })]);
    expect(view.text).toBe('$(sync) nhd: details live 1.5 s (+1)');
  });

  it('says when the daemon is down', () => {
    expect(syncStatusView([], 'stopped')).toMatchObject({ visible: true, text: '$(warning) nhd: daemon not running', warning: true });
  });
});

describe('the sync status bar item', () => {
  beforeEach(() => fake.reset());

  it('follows nhd/sync/didChange as the daemon pushes it, and reads the state on connect', async () => {
    const rpc = new FakeRpc().handle(SyncStatusRequest.type, () => ({ sessions: [status('authors', { state: 'starting' })] }));
    const bar = new SyncStatusBar(new NhdClient(rpc));
    const item = fake.statusBarItems[0]!;
    expect(item.command).toBe('nhd.syncStatus');
    await bar.setConnection('running');
    expect(item).toMatchObject({ visible: true, text: '$(sync~spin) nhd: authors syncing' });
    rpc.push(SyncDidChangeNotification.type, status('authors', { lastBatch: batch(9, '2026-11-25T10:00:00Z') }));
    expect(item).toMatchObject({ visible: true, text: '$(sync) nhd: authors live 9 ms', backgroundColor: undefined });
    rpc.push(SyncDidChangeNotification.type, status('authors', { state: 'reconnecting' }));
    expect(item.text).toBe('$(warning) nhd: authors reconnecting');
    expect(item.backgroundColor).toMatchObject({ id: 'statusBarItem.warningBackground' });
    rpc.push(SyncDidChangeNotification.type, status('authors', { state: 'stopped' }));
    expect(item.visible).toBe(false);
    await bar.setConnection('stopped');
    expect(item.text).toBe('$(warning) nhd: daemon not running');
    bar.dispose();
  });
});
