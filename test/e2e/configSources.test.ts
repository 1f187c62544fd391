import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../harness/daemon';
import { APP_IMAGE, DEV_IMAGE, apply, applyDeployment, createNamespace, kubectl, kubectlJson, nhdCli, specOf } from './support';

/**
 * Where dev start finds a dev config besides the local file, on the real cluster: the
 * application's `dev.nocalhost.config.<app>` ConfigMap (Nocalhost's third source), and v1 files.
 */
const ns = createNamespace('nhd-cfgsrc');
const cli = nhdCli('cfgsrc@nhd-test');
afterAll(() => {
  cli.stop();
  ns.dispose();
});

const container = (name: string) => `{name: ${name}, image: "${APP_IMAGE}", imagePullPolicy: Never, command: [sh, -c, "sleep infinity"]}`;

describe("the application's ConfigMap dev.nocalhost.config.<app>", () => {
  beforeAll(() => {
    applyDeployment(ns.name, 'shop-web', [container('proxy'), container('app')]);
    // The workload's application, as Nocalhost records it on workloads it installs.
    kubectl(['annotate', 'deployment', 'shop-web', '-n', ns.name, 'dev.nocalhost/application-name=shop']);
    const config = [
      'configProperties: { version: v2 }',
      'application:',
      '  name: shop',
      '  services:',
      '    - name: shop-web',
      '      serviceType: deployment',
      '      containers:',
      '        - name: app',
      '          dev:',
      `            image: ${DEV_IMAGE}`,
      '            imagePullPolicy: Never',
      '            workDir: /from-configmap',
      '            gitUrl: https://example.com/shop-web.git',
      '            env: [{ name: SOURCE, value: configmap }]',
      '            resources: { limits: { memory: 256Mi } }',
      '',
    ].join('\n');
    apply(ns.name, `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dev.nocalhost.config.shop}\ndata:\n  config: |\n${config.replace(/^(?=.)/gm, '    ')}`);
  });

  it('configures dev start alone (no local file, no annotation): its entry reaches the dev pod, its unapplied fields are warnings', async () => {
    const before = specOf(ns.name, 'deployment', 'shop-web');
    const start = await cli.run(['dev', 'start', 'deployment/shop-web', '-n', ns.name, '--json']);
    expect(start.stderr).not.toMatch(/^nhd: /m);
    expect(start.code).toBe(0);
    const session = JSON.parse(start.stdout);
    expect(session).toMatchObject({ container: 'app', image: DEV_IMAGE, workDir: '/from-configmap' });
    expect(session.warnings).toEqual(['ConfigMap dev.nocalhost.config.shop:13: dev.gitUrl is not applied by nhd: nhd does not clone; it syncs the local directory you give it (--local-dir)']);
    expect(start.stderr).toContain('warning: ConfigMap dev.nocalhost.config.shop:13: dev.gitUrl is not applied by nhd');
    const pod = kubectlJson(['get', 'pod', session.pod, '-n', ns.name]);
    const app = pod.spec.containers.find((c: { name: string }) => c.name === 'app');
    expect(app).toMatchObject({ image: DEV_IMAGE, imagePullPolicy: 'Never', workingDir: '/from-configmap', resources: { limits: { memory: '256Mi' } } });
    expect(app.env).toContainEqual({ name: 'SOURCE', value: 'configmap' });
    expect(pod.spec.containers[0]).toMatchObject({ name: 'proxy', image: APP_IMAGE });
    expect((await cli.run(['dev', 'end', 'deployment/shop-web', '-n', ns.name])).code).toBe(0);
    expect(specOf(ns.name, 'deployment', 'shop-web')).toEqual(before);
  });
});

describe('a v1 config file', () => {
  beforeAll(() => applyDeployment(ns.name, 'legacy', [container('app')]));

  it('is applied converted as Nocalhost converts it, with a warning that suggests v2', async () => {
    const dir = tempHome();
    fs.mkdirSync(path.join(dir, '.nocalhost'));
    const v1 = ['name: legacy-app', 'services:', '  - name: legacy', '    serviceType: deployment', `    devContainerImage: ${DEV_IMAGE}`, '    workDir: /v1src', '    syncFilePattern: [src]', ''].join('\n');
    fs.writeFileSync(path.join(dir, '.nocalhost', 'config.yaml'), v1);
    const validate = await cli.run(['config', 'validate', path.join(dir, '.nocalhost', 'config.yaml')]);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain('warning: this is a Nocalhost v1 config');
    const start = await cli.run(['dev', 'start', 'deployment/legacy', '-n', ns.name, '--local-dir', dir, '--no-sync', '--json']);
    expect(start.stderr).not.toMatch(/^nhd: /m);
    expect(start.code).toBe(0);
    const session = JSON.parse(start.stdout);
    expect(session).toMatchObject({ container: 'app', image: DEV_IMAGE, workDir: '/v1src' });
    const pod = kubectlJson(['get', 'pod', session.pod, '-n', ns.name]);
    expect(pod.spec.containers[0]).toMatchObject({ name: 'app', image: DEV_IMAGE, workingDir: '/v1src' });
    expect((await cli.run(['dev', 'end', 'deployment/legacy', '-n', ns.name])).code).toBe(0);
  });
});
