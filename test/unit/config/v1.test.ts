import { describe, expect, it } from 'vitest';
import { parseDevConfig } from '../../../server/config';
import { renderDiagnostics } from './support';

/**
 * Nocalhost v1 configs (profile.NocalHostAppConfig with ServiceDevOptions), read converted as
 * Nocalhost's app/config_converter.go converts them to v2, with a warning that suggests v2.
 */

const V1 = `name: shop
manifestType: rawManifest
resourcePath: [manifests]
services:
  - name: web
    serviceType: deployment
    devContainerImage: node:20
    workDir: /src
    syncDirs: [src]
    buildCommand: [make]
    runCommand: [./run.sh]
    debugCommand: [./debug.sh]
    hotReloadRunCommand: [./hot.sh]
    hotReloadDebugCommand: [./hot-debug.sh]
    devContainerShell: bash
    devPorts: ["8080:80"]
    syncFilePattern: [src]
    ignoreFilePattern: [node_modules]
    dependPodsLabelSelector: [app=db]
    dependJobsLabelSelector: [migrate]
    priorityClass: dev
    devContainerResources: { limits: { cpu: "1" } }
    persistentVolumeDirs: [{ path: /cache, capacity: 1Gi }]
`;

describe('v1 configs', () => {
  const r = parseDevConfig({ text: V1, fileName: '/w/.nocalhost/config.yaml' });

  it('are converted as Nocalhost converts them: one container entry without a name holding the dev keys', () => {
    expect(r.services).toHaveLength(1);
    const { source, containers, ...svc } = r.services[0]!;
    expect(svc).toEqual({ name: 'web', serviceType: 'deployment', priorityClass: 'dev', dependLabelSelector: { pods: ['app=db'], jobs: ['migrate'], tcp: [], http: [] } });
    expect(source.range.start).toEqual({ line: 4, character: 4 });
    expect(containers).toHaveLength(1);
    expect(containers[0]!.name).toBe('');
    expect(containers[0]!.dev).toMatchObject({
      image: 'node:20',
      workDir: '/src',
      shell: 'bash',
      command: { build: ['make'], run: ['./run.sh'], debug: ['./debug.sh'], hotReloadRun: ['./hot.sh'], hotReloadDebug: ['./hot-debug.sh'] },
      portForward: ['8080:80'],
      sync: { type: 'send', mode: 'pattern', filePattern: ['src'], ignoreFilePattern: ['node_modules'], deleteProtection: true },
      resources: { limits: { cpu: '1' } },
      persistentVolumeDirs: [{ path: '/cache', capacity: '1Gi' }],
    });
    expect(r.application).toEqual({ name: 'shop', manifestType: 'rawManifest', env: [] });
  });

  it('get a warning that suggests v2, and one for each key nhd (or the conversion) drops, at its place', () => {
    expect(renderDiagnostics(r.diagnostics)).toEqual([
      '1:1-1:5 warning config-v1: this is a Nocalhost v1 config (services with devContainerImage, runCommand, syncFilePattern, ...); nhd reads it converted as Nocalhost converts it. Write it as v2: configProperties: { version: v2 } and application.services[].containers[].dev (docs/config.md, "v1 configs")',
      '3:1-3:13 warning not-applied: resourcePath is not applied by nhd: nhd app install applies the raw manifests of the directory it is given (and install.portForward); it does not read this',
      "9:5-9:13 warning not-applied: syncDirs is not applied by nhd: Nocalhost's v1 to v2 conversion drops it too; list the paths in sync.filePattern",
      '19:5-19:28 warning not-applied: dependPodsLabelSelector is not applied by nhd: nhd does not wait for dependencies, at install or at dev start',
      '20:5-20:28 warning not-applied: dependJobsLabelSelector is not applied by nhd: nhd does not wait for dependencies, at install or at dev start',
    ]);
  });

  it('report their value errors at the v1 key', () => {
    const bad = parseDevConfig({ text: 'services:\n  - name: web\n    serviceType: deployment\n    devPorts: ["x:1"]\n', fileName: '/w/c.yaml' });
    expect(renderDiagnostics(bad.diagnostics).filter((d) => d.includes('error'))).toEqual(['4:16-4:21 error invalid-port-pair: devPorts: local port "x" in "x:1" is not a port number (0-65535)']);
  });

  it('a v1 key in a v2 service is unknown, and the warning says where v2 has it', () => {
    const v2 = parseDevConfig({ text: 'name: web\nserviceType: deployment\ndevContainerImage: node:20\ncontainers: [{ dev: { image: node:20 } }]\n', fileName: '/w/c.yaml' });
    expect(renderDiagnostics(v2.diagnostics)).toEqual(['3:1-3:18 warning unknown-key: unknown key "devContainerImage" in service (a Nocalhost v1 key; v2 writes it as containers[].dev.image of the service); it is ignored']);
  });
});
