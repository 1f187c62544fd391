// The real Nocalhost configs (copies of the shared reference files) must read without errors.

import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { loadDevConfigFile } from '../../../server/config';
import { renderDiagnostics } from './support';

const dir = path.resolve(import.meta.dirname, '../../fixtures/nocalhost-configs');
const yamlFiles = (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[])
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

describe('reference configs', () => {
  const reference = yamlFiles.filter((f) => !f.startsWith('broken/') && !f.startsWith('templated/'));

  it('are all present', () => {
    expect(reference).toEqual(['bookinfo-annotation-authors.yaml', 'bookinfo/.nocalhost/base-services.yaml', 'bookinfo/.nocalhost/config.yaml']);
  });

  it('are the same as the shared originals (when those are on this machine)', () => {
    const shared = '/work/shared/reference/nocalhost-configs';
    if (!fs.existsSync(shared)) return;
    for (const f of [...reference, 'bookinfo/.nocalhost/env.dev']) expect(fs.readFileSync(path.join(dir, f), 'utf8'), f).toBe(fs.readFileSync(path.join(shared, f), 'utf8'));
  });

  it.each(reference)('%s has no errors', (file) => {
    const r = loadDevConfigFile(path.join(dir, file), {});
    expect(renderDiagnostics(r.diagnostics.filter((d) => d.severity === 'error'))).toEqual([]);
    expect(r.services.length).toBeGreaterThan(0);
  });

  it('bookinfo config.yaml: services from the include, env from env.dev, the duplicate env as a warning', () => {
    const file = path.join(dir, 'bookinfo/.nocalhost/config.yaml');
    const r = loadDevConfigFile(file, {});
    expect(r.services.map((s) => `${s.serviceType}/${s.name}`)).toEqual([
      'deployment/productpage',
      'deployment/details',
      'deployment/ratings',
      'deployment/reviews',
      'deployment/authors',
    ]);
    expect(r.application).toEqual({ name: 'bookinfo', manifestType: 'rawManifestGit', env: [{ name: 'DEBUG', value: 'true' }, { name: 'DOMAIN', value: 'coding.com' }] });
    const install = 'nhd app install applies the raw manifests of the directory it is given (and install.portForward); it does not read this';
    const gitUrl = (line: number) => `21:5-21:51 warning not-applied: dev.gitUrl is not applied by nhd: nhd does not clone; it syncs the local directory you give it (--local-dir) (in base-services.yaml:${line}:9)`;
    const depends = (line: number) => `21:5-21:51 warning not-applied: dependLabelSelector is not applied by nhd: nhd does not wait for dependencies, at install or at dev start (in base-services.yaml:${line}:3)`;
    // Each field nhd does not act on is a warning that says why, at its place (the include line, with the included file's).
    expect(renderDiagnostics(r.diagnostics)).toEqual([
      `7:3-7:15 warning not-applied: application.manifestType is not applied by nhd: ${install}`,
      `8:3-8:15 warning not-applied: application.resourcePath is not applied by nhd: ${install}`,
      `10:3-10:15 warning not-applied: application.onPreInstall is not applied by nhd: ${install}`,
      '15:3-15:6 warning not-applied: application.env is not applied by nhd: nhd app install does not change the manifests it applies',
      depends(3),
      gitUrl(12),
      '21:5-21:51 warning duplicate-key: duplicate key "env": this value is ignored, the one on line 72 of base-services.yaml is used (in base-services.yaml:55:9)',
      gitUrl(44),
      depends(77),
      gitUrl(85),
      depends(122),
      gitUrl(127),
      gitUrl(157),
    ]);
    const details = r.services[1];
    expect(details?.containers[0]?.dev.env).toEqual([{ name: 'DEBUG', value: 'true' }]);
    expect(details?.origin?.range.start).toEqual({ line: 39, character: 2 });
    const reviews = r.services[3]?.containers[0]?.dev;
    expect(reviews?.command).toEqual({ build: ['./gradlew', 'build'], run: ['./gradlew', 'bootRun'], debug: ['./gradlew', 'bootRun', '--debug-jvm'], hotReloadRun: [], hotReloadDebug: [] });
    expect(r.services[0]?.containers[0]?.install).toEqual({ env: [], portForward: ['39080:9080'] });
    expect(r.services[2]?.dependLabelSelector).toEqual({ pods: ['productpage', 'app.kubernetes.io/name=productpage'], jobs: ['dep-job'], tcp: [], http: [] });
  });

  it('the environment wins over env.dev', () => {
    const r = loadDevConfigFile(path.join(dir, 'bookinfo/.nocalhost/config.yaml'), { DOMAIN: 'example.org' });
    expect(r.application?.env).toEqual([{ name: 'DEBUG', value: 'true' }, { name: 'DOMAIN', value: 'example.org' }]);
  });

  it('bookinfo-annotation-authors.yaml: the annotated Deployment', () => {
    const file = path.join(dir, 'bookinfo-annotation-authors.yaml');
    const r = loadDevConfigFile(file, {});
    expect(renderDiagnostics(r.diagnostics)).toEqual(['25:13-25:19 warning not-applied: dev.gitUrl is not applied by nhd: nhd does not clone; it syncs the local directory you give it (--local-dir)']);
    const { source, containers, ...svc } = r.services[0] ?? { source: undefined, containers: [] };
    expect(svc).toEqual({ name: 'authors', serviceType: 'deployment' });
    expect(source?.range).toEqual({ start: { line: 22, character: 6 }, end: { line: 44, character: 27 } });
    expect(containers[0]?.dev).toMatchInlineSnapshot(`
      {
        "command": {
          "build": [],
          "debug": [
            "./debug.sh",
          ],
          "hotReloadDebug": [],
          "hotReloadRun": [],
          "run": [
            "./run.sh",
          ],
        },
        "debug": {
          "remoteDebugPort": 9009,
        },
        "env": [
          {
            "name": "DEBUG",
            "value": "true",
          },
        ],
        "gitUrl": "https://e.coding.net/nocalhost/nocalhost/bookinfo-authors.git",
        "hotReload": true,
        "image": "nocalhost-docker.pkg.coding.net/nocalhost/dev-images/golang:latest",
        "patches": [],
        "persistentVolumeDirs": [],
        "portForward": [],
        "shell": "sh",
        "storageClass": "",
        "sync": {
          "deleteProtection": true,
          "filePattern": [
            "./",
          ],
          "ignoreFilePattern": [
            ".git",
            ".idea",
            ".github",
          ],
          "mode": "pattern",
          "type": "send",
        },
        "useDevContainer": false,
        "workDir": "/home/nocalhost-dev",
      }
    `);
  });
});

describe('nhd\'s own fixtures', () => {
  it('templated/: env file, defaults and includes, without errors', () => {
    const r = loadDevConfigFile(path.join(dir, 'templated/.nocalhost/config.yaml'), {});
    expect(renderDiagnostics(r.diagnostics)).toEqual(['8:3-8:6 warning not-applied: application.env is not applied by nhd: nhd app install does not change the manifests it applies']);
    expect(r.services.map((s) => `${s.serviceType}/${s.name} ${s.containers[0]?.dev.image}`)).toEqual([
      'deployment/web registry.example.com/dev/node:20-bookworm',
      'statefulset/worker golang:1.22',
    ]);
    expect(r.services[1]?.containers[0]?.dev.env).toEqual([{ name: 'QUEUE', value: 'jobs' }]);
    expect(r.services[1]?.source.range.start).toEqual({ line: 12, character: 4 });
  });

  it('broken/: one diagnostic per mistake, at its place', () => {
    const r = loadDevConfigFile(path.join(dir, 'broken/.nocalhost/config.yaml'), {});
    expect(renderDiagnostics(r.diagnostics)).toMatchInlineSnapshot(`
      [
        "2:7-2:14 error invalid-name: name: "Web_App" must consist of lower-case letters, digits, '-' and '.', and start and end with a letter or digit",
        "8:7-8:13 warning unknown-key: unknown key "imagee" in dev (did you mean "image"?); it is ignored",
        "10:15-10:19 error invalid-sync-type: type must be one of "send", "sendReceive", "sendonly", not "both"",
        "13:26-13:31 error invalid-port: remoteDebugPort: 92290 is not a TCP port number in [0, 65535]",
        "14:19-14:23 error invalid-language: language must be one of "node", "java", "go", "python", "php", "ruby", not "rust"",
        "17:16-17:20 error invalid-quantity: cpu: "lots" is not a Kubernetes quantity (e.g. 500m, 2, 512Mi, 1Gi)",
        "20:11-20:19 error invalid-port-pair: portForward: local port "abc" in "abc:80" is not a port number (0-65535)",
        "21:7-21:16 warning duplicate-key: duplicate key "hotReload": this value is ignored, the one on line 22 is used",
      ]
    `);
  });
});
