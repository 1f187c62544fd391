// Picking the config of one workload's container, the way Nocalhost looks it up.

import type { ContainerConfig, DevConfig, ServiceConfig, ServiceType } from './types';

/** The dev settings with every default applied and nothing configured. */
export function defaultDevConfig(): DevConfig {
  return {
    gitUrl: '',
    image: '',
    shell: '',
    workDir: '/home/nocalhost-dev',
    storageClass: '',
    persistentVolumeDirs: [],
    command: { build: [], run: [], debug: [], hotReloadRun: [], hotReloadDebug: [] },
    hotReload: false,
    useDevContainer: false,
    sync: { type: 'send', mode: 'pattern', filePattern: ['./'], ignoreFilePattern: [], deleteProtection: true },
    env: [],
    portForward: [],
    patches: [],
  };
}

/**
 * The service config of a workload (same name and serviceType), and the entry for one of its
 * containers: the entry with that name, else the first entry (Nocalhost's rule, which also covers
 * entries without a name). `container` undefined or '' means the first entry.
 */
export function selectDevConfig(
  services: readonly ServiceConfig[],
  workload: { name: string; serviceType: ServiceType; container?: string },
): { service?: ServiceConfig; container?: ContainerConfig } {
  const service = services.find((s) => s.name === workload.name && s.serviceType === workload.serviceType);
  if (!service) return {};
  const byName = workload.container ? service.containers.find((c) => c.name === workload.container) : undefined;
  const container = byName ?? service.containers[0];
  return container ? { service, container } : { service };
}
