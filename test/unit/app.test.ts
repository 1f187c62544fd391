import { describe, expect, it } from 'vitest';
import { installForwards } from '../../server/app/appService';

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
