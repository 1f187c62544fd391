import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applicationOf, resolveSettings, wantsSync } from '../../../server/devMode/settings';
import type { KubeObject } from '../../../server/ports';
import { defaultDevConfig } from '../../../server/config';
import { projectWithConfig } from './support';

/** Settings resolution: config file, else the dev.nocalhost annotation, else defaults; flags on top; the environment injected. */

const ROOT = path.resolve(import.meta.dirname, '../../..');

const project = (image: string) => projectWithConfig(`name: web\nserviceType: deployment\ncontainers:\n  - name: app\n    dev:\n      image: ${image}\n      workDir: /src\n`);

/** A two-container Deployment: `proxy` first, `app` second. */
function deployment(annotations: Record<string, string> = {}, containers = ['proxy', 'app']): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', annotations }, spec: { template: { spec: { containers: containers.map((name) => ({ name, image: `${name}:v1` })) } } } };
}

const ANNOTATION_CONFIG = `name: web\nserviceType: deployment\ncontainers:\n  - name: app\n    dev:\n      image: \${ANNOTATED:-annotated:v1}\n      workDir: /annotated\n`;

describe('resolveSettings', () => {
  it('reads ${VAR} of a config file from the environment it is given, not the process', () => {
    const dir = project('${NHD_TEST_DEV_IMAGE}');
    expect(process.env['NHD_TEST_DEV_IMAGE']).toBeUndefined();
    const { dev, source } = resolveSettings({ kind: 'deployment', name: 'web', localDir: dir }, deployment(), { NHD_TEST_DEV_IMAGE: 'injected:v3' });
    expect(dev).toMatchObject({ image: 'injected:v3', workDir: '/src' });
    expect(source).toEqual({ file: path.join(dir, '.nocalhost', 'config.yaml'), container: 'app' });
  });

  it('takes the dev.nocalhost annotation when there is no config, its ${VAR} from the same environment', () => {
    const original = deployment({ 'dev.nocalhost': ANNOTATION_CONFIG });
    expect(resolveSettings({ kind: 'deployment', name: 'web' }, original, {})).toEqual({ dev: expect.objectContaining({ image: 'annotated:v1', workDir: '/annotated' }), container: 'app', source: { annotation: 'deployment/web', container: 'app' }, warnings: [] });
    expect(resolveSettings({ kind: 'deployment', name: 'web' }, original, { ANNOTATED: 'env:v2' }).dev.image).toBe('env:v2');
    // A config file wins over the annotation.
    expect(resolveSettings({ kind: 'deployment', name: 'web', localDir: project('file:v1') }, original, {}).dev.image).toBe('file:v1');
  });

  it('falls back to the defaults, and the flags override whatever was found', () => {
    expect(resolveSettings({ kind: 'deployment', name: 'web' }, deployment(), {})).toEqual({ dev: defaultDevConfig(), container: 'proxy', warnings: [] });
    const { dev } = resolveSettings({ kind: 'deployment', name: 'web', localDir: project('file:v1'), image: 'flag:v9', workDir: '/flag' }, deployment(), {});
    expect(dev).toMatchObject({ image: 'flag:v9', workDir: '/flag' });
  });
});

describe("the application's ConfigMap dev.nocalhost.config.<app>", () => {
  const configMap = (text: string) => ({ name: 'dev.nocalhost.config.shop', text });
  const appLevel = `configProperties: { version: v2 }\napplication:\n  name: shop\n  services:\n    - name: web\n      serviceType: deployment\n      containers: [{ name: app, dev: { image: from-cm:v1, workDir: /cm } }]\n`;

  it('configures the workload when neither a local file nor the annotation does, in any shape of the file', () => {
    const r = resolveSettings({ kind: 'deployment', name: 'web' }, deployment(), {}, configMap(appLevel));
    expect(r).toMatchObject({ dev: { image: 'from-cm:v1', workDir: '/cm' }, container: 'app', source: { configMap: 'dev.nocalhost.config.shop', container: 'app' }, warnings: [] });
    const list = '- name: web\n  serviceType: deployment\n  containers: [{ name: app, dev: { image: list:v1 } }]\n';
    expect(resolveSettings({ kind: 'deployment', name: 'web' }, deployment(), {}, configMap(list)).dev.image).toBe('list:v1');
  });

  it('comes last, in Nocalhost order: the local file, then the annotation, then the ConfigMap', () => {
    const annotated = deployment({ 'dev.nocalhost': ANNOTATION_CONFIG });
    expect(resolveSettings({ kind: 'deployment', name: 'web' }, annotated, {}, configMap(appLevel)).dev.image).toBe('annotated:v1');
    expect(resolveSettings({ kind: 'deployment', name: 'web', localDir: project('file:v1') }, annotated, {}, configMap(appLevel)).dev.image).toBe('file:v1');
    // A source without an entry for the workload passes to the next.
    const otherService = 'name: other\nserviceType: deployment\ncontainers: [{ name: app, dev: { image: other:v1 } }]\n';
    expect(resolveSettings({ kind: 'deployment', name: 'web' }, deployment({ 'dev.nocalhost': `- ${otherService.replace(/\n(?=.)/g, '\n  ')}` }), {}, configMap(appLevel)).dev.image).toBe('from-cm:v1');
  });

  it('with errors is not used, and says so; its fields nhd does not act on are warnings too', () => {
    const broken = resolveSettings({ kind: 'deployment', name: 'web' }, deployment(), {}, configMap('- name: web\n  serviceType: deployment\n  containers: [{ dev: { hotReload: maybe } }]\n'));
    expect(broken.source).toBeUndefined();
    expect(broken.warnings).toEqual(['ConfigMap dev.nocalhost.config.shop is not used: it has 1 error(s); the first: line 3: hotReload should be true or false, not the string "maybe"']);
    const withHub = resolveSettings({ kind: 'deployment', name: 'web' }, deployment(), {}, configMap('- name: web\n  serviceType: deployment\n  containers: [{ name: app, hub: { image: x }, dev: { image: a:v1 } }]\n'));
    expect(withHub.warnings).toEqual(['ConfigMap dev.nocalhost.config.shop:3: hub is not applied by nhd: nhd has no config hub; entries match by name']);
  });

  it('passes over an annotation with errors, with a warning that says so', () => {
    const broken = deployment({ 'dev.nocalhost': 'containers: [{ name: app, dev: { image: a:v1, hotReload: maybe } }]' });
    const r = resolveSettings({ kind: 'deployment', name: 'web' }, broken, {}, configMap(appLevel));
    expect(r.dev.image).toBe('from-cm:v1');
    expect(r.warnings).toEqual(['the dev.nocalhost annotation of deployment/web is not used: it has 1 error(s); the first: line 1: hotReload should be true or false, not the string "maybe"']);
  });

  it("is named by the workload's application, as Nocalhost tells it", () => {
    const w = (annotations: Record<string, string>, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', annotations, labels }, spec: {} });
    expect(applicationOf(w({ 'dev.nocalhost/application-name': 'shop', 'meta.helm.sh/release-name': 'rel' }, { 'nhd.dev/app': 'mine' }))).toBe('shop');
    expect(applicationOf(w({ 'meta.helm.sh/release-name': 'rel' }, { 'nhd.dev/app': 'mine' }))).toBe('rel');
    expect(applicationOf(w({}, { 'nhd.dev/app': 'mine' }))).toBe('mine');
    expect(applicationOf(w({}))).toBe('default.application');
  });
});

describe('the fields nhd does not act on', () => {
  it("are the session's warnings, once, each with where and why: those of the entry in use, not of other services or containers", () => {
    const dir = projectWithConfig(
      [
        '- name: web',
        '  serviceType: deployment',
        '  dependLabelSelector: { pods: [db] }',
        '  containers:',
        '    - name: app',
        '      dev: { image: app-dev:v1, useDevContainer: true, hub: 1 }',
        '    - name: proxy',
        '      dev: { image: proxy-dev:v1, gitUrl: https://example.com/proxy.git }',
        '- name: other',
        '  serviceType: deployment',
        '  containers: [{ dev: { gitUrl: https://example.com/other.git } }]',
        '',
      ].join('\n'),
    );
    const file = path.join(dir, '.nocalhost', 'config.yaml');
    const r = resolveSettings({ kind: 'deployment', name: 'web', localDir: dir }, deployment(), {});
    expect(r.container).toBe('app');
    expect(r.warnings).toEqual([
      `${file}:3: dependLabelSelector is not applied by nhd: nhd does not wait for dependencies, at install or at dev start`,
      `${file}:6: dev.useDevContainer is not applied by nhd: nhd always replaces the container (\`true\` is treated as \`false\`)`,
    ]);
    expect(resolveSettings({ kind: 'deployment', name: 'web', localDir: dir, container: 'proxy' }, deployment(), {}).warnings).toEqual([
      `${file}:3: dependLabelSelector is not applied by nhd: nhd does not wait for dependencies, at install or at dev start`,
      `${file}:8: dev.gitUrl is not applied by nhd: nhd does not clone; it syncs the local directory you give it (--local-dir)`,
    ]);
    const annotated = deployment({ 'dev.nocalhost': 'containers: [{ name: app, dev: { image: a:v1, useDevContainer: yes } }]' });
    expect(resolveSettings({ kind: 'deployment', name: 'web' }, annotated, {}).warnings).toEqual([
      'the dev.nocalhost annotation of deployment/web:1: dev.useDevContainer is not applied by nhd: nhd always replaces the container (`true` is treated as `false`)',
    ]);
  });
});

describe('the container dev mode swaps', () => {
  const twoEntries = projectWithConfig(
    `name: web\nserviceType: deployment\ncontainers:\n  - name: app\n    dev: { image: app-dev:v1 }\n  - name: proxy\n    dev: { image: proxy-dev:v1 }\n`,
  );
  const target = (params: { container?: string; localDir?: string }, original = deployment()) => {
    const r = resolveSettings({ kind: 'deployment', name: 'web', ...params }, original, {});
    return `${r.container} ${r.dev.image}`;
  };

  it("is the one the config entry's name picks, not the workload's first", () => {
    expect(target({ localDir: project('app-dev:v1') })).toBe('app app-dev:v1');
    expect(target({}, deployment({ 'dev.nocalhost': ANNOTATION_CONFIG }))).toBe('app annotated:v1');
    // Several entries and no --container: the first entry, in the container it names.
    expect(target({ localDir: twoEntries })).toBe('app app-dev:v1');
  });

  it('is --container when given, with the entry of that name, else the first entry (Nocalhost)', () => {
    expect(target({ localDir: twoEntries, container: 'proxy' })).toBe('proxy proxy-dev:v1');
    expect(target({ localDir: project('app-dev:v1'), container: 'proxy' })).toBe('proxy app-dev:v1');
  });

  it("is the workload's first for an entry without a name, or no config", () => {
    expect(target({ localDir: projectWithConfig('name: web\nserviceType: deployment\ncontainers:\n  - dev: { image: any:v1 }\n') })).toBe('proxy any:v1');
    expect(target({})).toBe('proxy ');
  });

  it('is dev.devContainerName when the entry sets it', () => {
    const dir = projectWithConfig('name: web\nserviceType: deployment\ncontainers:\n  - name: app\n    dev: { image: x:v1, devContainerName: proxy }\n');
    expect(target({ localDir: dir })).toBe('proxy x:v1');
    const wrong = projectWithConfig('name: web\nserviceType: deployment\ncontainers:\n  - name: app\n    dev: { image: x:v1, devContainerName: nope }\n');
    expect(() => target({ localDir: wrong })).toThrow(/`dev\.devContainerName: nope` in .* names no container of deployment\/web; its containers are proxy, app/);
  });

  it('is an error listing the containers when the entry names none of them', () => {
    const dir = project('app-dev:v1');
    expect(() => target({ localDir: dir }, deployment({}, ['web', 'proxy']))).toThrow(
      /The dev config entry's `name: app` in .*config\.yaml names no container of deployment\/web; its containers are web, proxy\. Fix the entry's name or pass --container\./,
    );
  });
});

describe('wantsSync', () => {
  it('syncs a localDir with a dev config by default, a stray directory only when asked', () => {
    const stray = fs.mkdtempSync(path.join(os.tmpdir(), 'nhd-stray-'));
    expect(wantsSync({ kind: 'deployment', name: 'web', localDir: project('x') })).toBe(true);
    expect(wantsSync({ kind: 'deployment', name: 'web', localDir: project('x'), sync: false })).toBe(false);
    expect(wantsSync({ kind: 'deployment', name: 'web', localDir: stray })).toBe(false);
    expect(wantsSync({ kind: 'deployment', name: 'web', localDir: stray, sync: true })).toBe(true);
    expect(wantsSync({ kind: 'deployment', name: 'web', sync: true })).toBe(false);
  });
});

describe('server/devMode and the environment', () => {
  it('no module in server/devMode reads process.env: the composition root injects it', () => {
    const dir = path.join(ROOT, 'server/devMode');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files).toContain('settings.ts');
    expect(files.filter((f) => /process\.env/.test(fs.readFileSync(path.join(dir, f), 'utf8')))).toEqual([]);
  });
});
