import { describe, expect, it } from 'vitest';
import { faultInjector, parseFault } from '../../adapters/kube/faultInjection';
import type { KubeObject, LogLevel } from '../../server/ports';
import { FakeCluster } from '../fakes/fakeCluster';

/** NHD_TEST_FAULT's wrapper of the Cluster port (test only), with the kill injected. */
const CONFIG_MAP = { apiVersion: 'v1', kind: 'ConfigMap' };
const map = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' }, data: {} });

function setup(fault: string) {
  const lines: { level: LogLevel; message: string }[] = [];
  const kills: string[] = [];
  const cluster = new FakeCluster();
  const wrap = faultInjector(parseFault(fault), { log: (level, _tag, message) => lines.push({ level, message }) }, () => {
    // What the cluster holds at the moment of the kill: before or after the write.
    kills.push(cluster.objectsOf('ConfigMap', 'ns').map((o) => o.metadata.name).join(','));
  });
  return { cluster, wrap, lines, kills };
}

describe('parseFault', () => {
  it('reads write:N:before and write:N:after', () => {
    expect(parseFault('write:1:before')).toEqual({ write: 1, when: 'before' });
    expect(parseFault('write:12:after')).toEqual({ write: 12, when: 'after' });
  });

  it.each(['', 'write:0:after', 'write:3', 'write:-1:after', 'write:3:during', 'write:x:after', 'read:3:after', 'write:3:after:extra', 'write:1e3:after'])(
    'refuses %j with the syntax and what to do',
    (text) => {
      expect(() => parseFault(text)).toThrow(`NHD_TEST_FAULT=${JSON.stringify(text)} is not a fault: write it as write:N:before or write:N:after (N from 1, the cluster write to kill the daemon at), or unset NHD_TEST_FAULT; it is for tests only.`);
    },
  );
});

describe('faultInjector', () => {
  it('counts every write (create, replace, mergePatch, patch, delete, apply) and no read, across all the clusters it wraps, and logs each', async () => {
    const { cluster, wrap, lines, kills } = setup('write:99:after');
    const one = wrap(cluster);
    const two = wrap(cluster);
    const created = await one.create('fake', map('a'));
    await one.get('fake', 'ns', CONFIG_MAP, 'a');
    await one.list('fake', 'ns', CONFIG_MAP);
    await two.replace('fake', { ...created, data: { k: 'v' } });
    await one.mergePatch('fake', 'ns', CONFIG_MAP, 'a', { data: { k: 'w' } });
    await two.patch('fake', 'ns', CONFIG_MAP, 'a', { data: { k: 'x' } }, 'merge');
    await one.apply('fake', map('b'), 'nhd', true);
    expect(await two.delete('fake', 'ns', CONFIG_MAP, 'a')).toBe(true);
    expect(one.defaultNamespace('fake')).toBe('default');
    expect(lines.map((l) => l.message)).toEqual([
      'write 1: create ConfigMap ns/a',
      'write 2: replace ConfigMap ns/a',
      'write 3: mergePatch ConfigMap ns/a',
      'write 4: patch ConfigMap ns/a',
      'write 5: apply ConfigMap ns/b',
      'write 6: delete ConfigMap ns/a',
    ]);
    expect(kills).toEqual([]);
    expect(cluster.object(CONFIG_MAP, 'ns', 'a')).toBeUndefined();
  });

  it('kills before write N is sent: the cluster has the writes before it only', async () => {
    const { cluster, wrap, lines, kills } = setup('write:2:before');
    const c = wrap(cluster);
    await c.create('fake', map('a'));
    await c.create('fake', map('b'));
    await c.create('fake', map('c'));
    expect(kills).toEqual(['a']);
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual(['NHD_TEST_FAULT: killing the daemon before write 2 (create ConfigMap ns/b)']);
  });

  it('kills after write N is answered, and after a write that failed too', async () => {
    const after = setup('write:2:after');
    const c = after.wrap(after.cluster);
    await c.create('fake', map('a'));
    await c.create('fake', map('b'));
    expect(after.kills).toEqual(['a,b']);

    const failed = setup('write:1:after');
    failed.cluster.failNext('create');
    await expect(failed.wrap(failed.cluster).create('fake', map('a'))).rejects.toThrow(/injected create failure/);
    expect(failed.kills).toEqual(['']);
  });
});
