import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../harness/daemon';
import { APP_IMAGE, DEV_IMAGE, applyDeployment, createNamespace, kubectlJson, nhdCli, specOf } from './support';

/** A Nocalhost dev config applied as Nocalhost applies it, on the real cluster (issue: config fidelity). */
const ns = createNamespace('nhd-devcfg');
const cli = nhdCli('devcfg@nhd-test');
afterAll(() => {
  cli.stop();
  ns.dispose();
});

const container = (name: string) => `{name: ${name}, image: "${APP_IMAGE}", imagePullPolicy: Never, command: [sh, -c, "sleep infinity"]}`;

/** A project directory holding `.nocalhost/config.yaml` with this text. */
function project(config: string): string {
  const dir = tempHome();
  fs.mkdirSync(path.join(dir, '.nocalhost'));
  fs.writeFileSync(path.join(dir, '.nocalhost', 'config.yaml'), config);
  return dir;
}

const configFor = (name: string, entry: string) => `name: ${name}\nserviceType: deployment\ncontainers:\n  - name: ${entry}\n    dev:\n      image: ${DEV_IMAGE}\n      workDir: /src\n`;

async function devStart(name: string, dir: string, extra: string[] = []) {
  return cli.run(['dev', 'start', `deployment/${name}`, '-n', ns.name, '--local-dir', dir, '--no-sync', '--json', ...extra]);
}

describe('the container a config entry names', () => {
  beforeAll(() => applyDeployment(ns.name, 'two', [container('proxy'), container('app')]));

  it('is the one swapped in a two-container pod, by config alone; dev end restores .spec', async () => {
    const before = specOf(ns.name, 'deployment', 'two');
    const start = await devStart('two', project(configFor('two', 'app')));
    expect(start.stderr).not.toMatch(/^nhd: /m);
    expect(start.code).toBe(0);
    const session = JSON.parse(start.stdout);
    expect(session).toMatchObject({ container: 'app', image: DEV_IMAGE, workDir: '/src' });
    const pod = kubectlJson(['get', 'pod', session.pod, '-n', ns.name]);
    expect(pod.spec.containers.map((c: any) => [c.name, c.image])).toEqual([
      ['proxy', APP_IMAGE],
      ['app', DEV_IMAGE],
      ['nhd-sync', expect.any(String)],
    ]);
    expect((await cli.run(['dev', 'end', 'deployment/two', '-n', ns.name])).code).toBe(0);
    expect(specOf(ns.name, 'deployment', 'two')).toEqual(before);
  });

  it('is refused, with the containers listed, when the entry names none of them', async () => {
    const start = await devStart('two', project(configFor('two', 'web')));
    expect(start.code).not.toBe(0);
    expect(start.stderr).toMatch(/The dev config entry `name: web` in .*config\.yaml names no container of deployment\/two; its containers are proxy, app\. Fix the entry's name or pass --container\./);
    expect(kubectlJson(['get', 'deployment', 'two', '-n', ns.name]).metadata.annotations?.['nhd.dev/owner']).toBeUndefined();
  });

  it('gives way to --container', async () => {
    const start = await devStart('two', project(configFor('two', 'app')), ['--container', 'proxy']);
    expect(start.code).toBe(0);
    expect(JSON.parse(start.stdout)).toMatchObject({ container: 'proxy', image: DEV_IMAGE });
    expect((await cli.run(['dev', 'end', 'deployment/two', '-n', ns.name])).code).toBe(0);
  });
});
