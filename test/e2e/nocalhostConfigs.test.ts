import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_IMAGE, DEV_IMAGE, apply, applyDeployment, createNamespace, kubectlJson, nhdCli, specOf, waitRollout } from './support';

/**
 * Nocalhost's own configs, unchanged (test/fixtures/nocalhost-configs is a copy of the reference
 * bookinfo config and its annotated authors manifest), through dev start and dev end on the local
 * cluster. Their dev images live in Nocalhost's registry, which this cluster cannot reach, so
 * `--image` swaps in an image the cluster has; every other setting comes from the config.
 */
const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/nocalhost-configs');
const BOOKINFO = path.join(FIXTURES, 'bookinfo');
const ns = createNamespace('nhd-nhconfig');
const cli = nhdCli('nhconfig@nhd-test');
afterAll(() => {
  cli.stop();
  ns.dispose();
});

const container = (name: string) => `{name: ${name}, image: "${APP_IMAGE}", imagePullPolicy: Never, command: [sh, -c, "sleep infinity"]}`;

/** Each service of the reference bookinfo config, with what its config says its dev container gets. */
const SERVICES = [
  { name: 'productpage', env: [], resources: { limits: { cpu: '2', memory: '2Gi' }, requests: { cpu: '500m', memory: '512Mi' } } },
  { name: 'details', env: [{ name: 'DEBUG', value: 'true' }] },
  { name: 'ratings', env: [{ name: 'DEBUG', value: 'true' }] },
  { name: 'reviews', env: [] },
  { name: 'authors', env: [] },
];

describe('the reference bookinfo config (file form, with ${_INCLUDE_} and envFile)', () => {
  beforeAll(() => {
    // The service named `productpage` has a container of that name; the others name none (the first container).
    for (const { name } of SERVICES) applyDeployment(ns.name, name, [container(name === 'productpage' ? 'productpage' : 'main')]);
  });

  it.each(SERVICES)('$name: dev start applies its settings, dev end restores .spec exactly', async ({ name, env, resources }) => {
    const before = specOf(ns.name, 'deployment', name);
    const start = await cli.run(['dev', 'start', `deployment/${name}`, '-n', ns.name, '--local-dir', BOOKINFO, '--no-sync', '--image', DEV_IMAGE, '--json']);
    expect(start.stderr).not.toMatch(/^nhd: /m);
    expect(start.code).toBe(0);
    const session = JSON.parse(start.stdout);
    expect(session).toMatchObject({ state: 'ready', image: DEV_IMAGE, workDir: '/home/nocalhost-dev' });
    const dev = kubectlJson(['get', 'pod', session.pod, '-n', ns.name]).spec.containers[0];
    expect(dev).toMatchObject({ image: DEV_IMAGE, workingDir: '/home/nocalhost-dev' });
    expect(dev.env ?? []).toEqual(env);
    expect(dev.resources).toEqual(resources ?? { limits: { cpu: '2', memory: '2Gi' }, requests: { cpu: '500m', memory: '512Mi' } });
    expect((await cli.run(['dev', 'end', `deployment/${name}`, '-n', ns.name])).code).toBe(0);
    expect(specOf(ns.name, 'deployment', name)).toEqual(before);
  });
});

describe('the reference annotated authors manifest (annotation form)', () => {
  // Its own namespace: the manifest's Deployment and Service are called `authors` too.
  const annotated = createNamespace('nhd-nhannot');
  afterAll(() => annotated.dispose());
  beforeAll(() => {
    // The manifest as Nocalhost ships it, its application image (in Nocalhost's registry) swapped for one the cluster has.
    const manifest = fs
      .readFileSync(path.join(FIXTURES, 'bookinfo-annotation-authors.yaml'), 'utf8')
      .replace('image: nocalhost-docker.pkg.coding.net/nocalhost/bookinfo/authors:latest', `image: ${APP_IMAGE}\n        command: [python3, -m, http.server, "9080"]`)
      .replace('imagePullPolicy: Always', 'imagePullPolicy: Never');
    expect(manifest).toContain(APP_IMAGE);
    apply(annotated.name, manifest);
    waitRollout(annotated.name, 'deployment', 'authors');
  });

  it('dev start reads the dev.nocalhost annotation, dev end restores .spec exactly', async () => {
    const before = specOf(annotated.name, 'deployment', 'authors');
    const start = await cli.run(['dev', 'start', 'deployment/authors', '-n', annotated.name, '--local-dir', path.dirname(FIXTURES), '--no-sync', '--image', DEV_IMAGE, '--json']);
    expect(start.stderr).not.toMatch(/^nhd: /m);
    expect(start.code).toBe(0);
    const session = JSON.parse(start.stdout);
    const dev = kubectlJson(['get', 'pod', session.pod, '-n', annotated.name]).spec.containers[0];
    expect(dev).toMatchObject({ name: 'authors', image: DEV_IMAGE, workingDir: '/home/nocalhost-dev', env: [{ name: 'DEBUG', value: 'true' }] });
    expect(dev.readinessProbe).toBeUndefined();
    expect((await cli.run(['dev', 'end', 'deployment/authors', '-n', annotated.name])).code).toBe(0);
    expect(specOf(annotated.name, 'deployment', 'authors')).toEqual(before);
  });
});
