import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { KubeApiError, type KubeObject, type WatchEventType } from '../../../server/ports';
import { FakeCluster, conflictOnReplace, createFailsAfterDelete, failingWatch, mergePatch, parseSelector } from '../../fakes/fakeCluster';

/** The fake keeps the API server's contracts that server/ relies on; if it drifted, the tests built on it would prove nothing. */

const CM = { apiVersion: 'v1', kind: 'ConfigMap' };
const DEPLOYMENT = { apiVersion: 'apps/v1', kind: 'Deployment' };
const map = (name: string, data: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' }, data });

describe('FakeCluster', () => {
  it('rejects a replace with a stale resourceVersion (409), a create of an existing object (409), and a missing one (404)', async () => {
    const cluster = new FakeCluster();
    const created = await cluster.create('fake', map('a'));
    const updated = await cluster.replace('fake', { ...created, data: { x: '1' } });
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    await expect(cluster.replace('fake', { ...created, data: { x: '2' } })).rejects.toMatchObject({ status: 409, reason: 'Conflict' });
    await expect(cluster.create('fake', map('a'))).rejects.toMatchObject({ status: 409, reason: 'AlreadyExists' });
    await expect(cluster.replace('fake', map('b'))).rejects.toMatchObject({ status: 404 });
    expect(await cluster.delete('fake', 'ns', CM, 'b')).toBe(false);
    expect(await cluster.delete('fake', 'ns', CM, 'a')).toBe(true);
    expect(await cluster.get('fake', 'ns', CM, 'a')).toBeUndefined();
  });

  it('merge-patches as RFC 7386 says', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { b: { c: null, x: 4 }, e: [2], f: 'new' })).toEqual({ a: 1, b: { d: 3, x: 4 }, e: [2], f: 'new' });
  });

  it('selects by label as kubectl does', () => {
    const select = parseSelector('app=web,tier!=db,canary,!old');
    expect(select({ app: 'web', canary: '' })).toBe(true);
    expect(select({ app: 'web', canary: '', tier: 'db' })).toBe(false);
    expect(select({ app: 'web' })).toBe(false);
    expect(select({ app: 'web', canary: '', old: '1' })).toBe(false);
    expect(parseSelector('')({})).toBe(true);
  });

  it('watches: the list first, then every change that matches, until aborted', async () => {
    const cluster = new FakeCluster();
    cluster.seed({ ...map('one'), metadata: { name: 'one', namespace: 'ns', labels: { app: 'x' } } });
    const events: [WatchEventType, string][] = [];
    const abort = new AbortController();
    await cluster.watch('fake', 'ns', CM, (type, o) => events.push([type, o.metadata.name]), abort.signal, 'app=x');
    expect(events).toEqual([['ADDED', 'one']]);
    await cluster.create('fake', { ...map('two'), metadata: { name: 'two', namespace: 'ns', labels: { app: 'x' } } });
    await cluster.create('fake', map('unlabelled'));
    await cluster.delete('fake', 'ns', CM, 'one');
    await Promise.resolve();
    expect(events).toEqual([['ADDED', 'one'], ['ADDED', 'two'], ['DELETED', 'one']]);
    abort.abort();
    await cluster.delete('fake', 'ns', CM, 'two');
    await Promise.resolve();
    expect(events).toHaveLength(3);
  });

  it("gives a Deployment pods of its template, replaces them when it changes, and they reach ready", async () => {
    const cluster = new FakeCluster();
    const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'v1' }] } };
    cluster.seed({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'ns' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template } });
    const first = cluster.objectsOf('Pod', 'ns').map((p) => p.metadata.name);
    expect(first).toHaveLength(2);
    const web = cluster.object(DEPLOYMENT, 'ns', 'web')!;
    await cluster.replace('fake', { ...web, spec: { ...web.spec, replicas: 1, template: { ...template, spec: { containers: [{ name: 'app', image: 'v2' }] } } } });
    const pods = cluster.objectsOf('Pod', 'ns');
    expect(pods).toHaveLength(1);
    expect(first).not.toContain(pods[0]!.metadata.name);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(cluster.object('Pod', 'ns', pods[0]!.metadata.name)?.status).toMatchObject({ phase: 'Running' });
    await cluster.delete('fake', 'ns', DEPLOYMENT, 'web');
    expect(cluster.objectsOf('Pod', 'ns')).toEqual([]);
  });

  it('runs scripted execs and injected faults', async () => {
    const cluster = new FakeCluster({ exec: ({ command }, stdin) => ({ stdout: `${command.join(' ')}:${stdin}`, exitCode: 0 }) });
    cluster.seed({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'c' }] } });
    const stdout = new PassThrough();
    const stdin = new PassThrough();
    stdin.end('input');
    const process = await cluster.exec('fake', 'ns', 'p', 'c', ['echo', 'hi'], { stdin, stdout, tty: false });
    expect(await process.exited).toBe(0);
    expect(stdout.read()?.toString()).toBe('echo hi:input');

    cluster.failNext('get', { when: (call) => call.name === 'p' });
    await expect(cluster.get('fake', 'ns', { apiVersion: 'v1', kind: 'Pod' }, 'p')).rejects.toBeInstanceOf(KubeApiError);
    expect(await cluster.get('fake', 'ns', { apiVersion: 'v1', kind: 'Pod' }, 'p')).toBeDefined();
  });

  it('has the faulty variants it promises', async () => {
    const conflicting = conflictOnReplace();
    const created = await conflicting.create('fake', map('a'));
    await expect(conflicting.replace('fake', created)).rejects.toMatchObject({ status: 409 });
    await expect(conflicting.replace('fake', created)).resolves.toBeDefined();

    await expect(failingWatch().watch('fake', 'ns', { apiVersion: 'v1', kind: 'Pod' }, () => {}, new AbortController().signal)).rejects.toThrow(/watch/);

    const losing = createFailsAfterDelete();
    await losing.create('fake', map('b'));
    await losing.delete('fake', 'ns', CM, 'b');
    await expect(losing.create('fake', map('b'))).rejects.toMatchObject({ status: 500 });
    await expect(losing.create('fake', map('b'))).resolves.toBeDefined();
  });
});
