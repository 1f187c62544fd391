import { describe, expect, it } from 'vitest';
import { appNameOf, installForwards } from '../../server/app/appService';

/** Which install.portForward pairs `nhd app install` starts: the config's, for workloads the app installed. */
describe('installForwards', () => {
  const services = [
    { name: 'productpage', serviceType: 'deployment' as const, containers: [{ install: { portForward: ['39080:9080'] } }, { install: { portForward: ['9090'] } }] },
    { name: 'details', serviceType: 'deployment' as const, containers: [{}] },
    { name: 'ratings', serviceType: 'statefulset' as const, containers: [{ install: { portForward: ['39081:9080'] } }] },
  ];

  it('takes every container entry of a service the app installed, and nothing of one it did not', () => {
    const applied = [
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'productpage', namespace: 'ns' },
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'details', namespace: 'ns' },
      // A Deployment called ratings is not the StatefulSet the config means.
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ratings', namespace: 'ns' },
    ];
    expect(installForwards(services, applied)).toEqual([{ ref: { kind: 'deployment', name: 'productpage' }, pairs: ['39080:9080', '9090'] }]);
  });
});

describe('appNameOf', () => {
  it("names the app by --name, else by the dev config's application.name, else by its directory", () => {
    expect(appNameOf({ dir: '/src/shop/manifests', name: 'given' }, { name: 'bookinfo' })).toBe('given');
    expect(appNameOf({ dir: '/src/shop/manifests' }, { name: 'bookinfo' })).toBe('bookinfo');
    expect(appNameOf({ dir: '/src/shop/manifests' }, { name: '' })).toBe('manifests');
    expect(appNameOf({ dir: '/src/shop/manifests' }, undefined)).toBe('manifests');
  });
});
