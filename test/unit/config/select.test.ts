import { describe, it, expect } from 'vitest';
import { defaultDevConfig, selectDevConfig } from '../../../server/config';
import { parseFixture } from './support';

const { services } = parseFixture(`-- c.yaml --
- name: web
  serviceType: deployment
  containers:
    - name: app
      dev: { image: a }
    - name: sidecar
      dev: { image: b }
- name: web
  serviceType: statefulset
  containers: []
`);

/** `service kind/name -> container name:image`, or what is missing. */
function check(workload: Parameters<typeof selectDevConfig>[1]): string {
  const r = selectDevConfig(services, workload);
  if (!r.service) return 'no service';
  return `${r.service.serviceType}/${r.service.name} -> ${r.container ? `${r.container.name}:${r.container.dev.image}` : 'no container'}`;
}

describe('selectDevConfig', () => {
  it.each([
    [{ name: 'web', serviceType: 'deployment' as const }, 'deployment/web -> app:a'],
    [{ name: 'web', serviceType: 'deployment' as const, container: 'sidecar' }, 'deployment/web -> sidecar:b'],
    [{ name: 'web', serviceType: 'deployment' as const, container: 'other' }, 'deployment/web -> app:a'],
    [{ name: 'web', serviceType: 'statefulset' as const }, 'statefulset/web -> no container'],
    [{ name: 'web', serviceType: 'daemonset' as const }, 'no service'],
  ])('%o', (workload, expected) => {
    expect(check(workload)).toBe(expected);
  });

  it('defaultDevConfig equals what parsing an empty dev gives', () => {
    const r = parseFixture(`-- c.yaml --\nname: a\nserviceType: pod\ncontainers: [{ dev: {} }]\n`);
    expect(r.services[0]?.containers[0]?.dev).toEqual(defaultDevConfig());
  });
});
