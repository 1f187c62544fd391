import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../harness/daemon';
import { APP_IMAGE, DEV_IMAGE, apply, applyDeployment, createNamespace, kubectlJson, nhdCli, specOf, waitRollout } from './support';

/**
 * A team namespace with a ResourceQuota: every container must set requests and limits, and the
 * dev pod must fit. The controller, not a pod, says when it cannot create one.
 */
const ns = createNamespace('nhd-quota');
const cli = nhdCli('alice@laptop');
afterAll(() => {
  cli.stop();
  ns.dispose();
});

async function quota(limitsMemory: string): Promise<void> {
  apply(ns.name, `apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: team}\nspec: {hard: {requests.cpu: "4", limits.memory: "${limitsMemory}"}}\n`);
  // Until the quota controller has counted, the API server refuses every pod the quota covers.
  await until(() => kubectlJson(['get', 'resourcequota', 'team', '-n', ns.name]).status?.hard?.['limits.memory'] === limitsMemory, 'the quota is counted', 30_000);
}

describe('dev mode in a namespace with a ResourceQuota', () => {
  it('admits the dev pod (the sidecar sets requests and limits); a dev pod the quota refuses fails dev start at once with its reason', async () => {
    await quota('2Gi');
    applyDeployment(ns.name, 'web', [`{name: app, image: "${APP_IMAGE}", imagePullPolicy: Never, command: [sh, -c, "python3 -m http.server 9080"], resources: {requests: {cpu: 50m}, limits: {memory: 100Mi}}}`]);
    const before = specOf(ns.name, 'deployment', 'web');

    const started = await cli.run(['dev', 'start', 'deployment/web', '-n', ns.name, '--image', DEV_IMAGE, '--timeout', '90']);
    expect(started.stderr).not.toMatch(/^nhd: /m);
    expect(started.code).toBe(0);
    expect((await cli.run(['dev', 'end', 'deployment/web', '-n', ns.name])).code).toBe(0);
    waitRollout(ns.name, 'deployment', 'web');

    // 100Mi for the dev container and 1Gi for the sidecar do not fit in 1000Mi.
    await quota('1000Mi');
    const refused = await cli.run(['dev', 'start', 'deployment/web', '-n', ns.name, '--image', DEV_IMAGE, '--timeout', '90']);
    expect(refused.code).toBe(1);
    // The controller's reason, not the 90 s pod wait's timeout.
    expect(refused.stderr).toMatch(/^nhd: Dev mode for deployment\/web failed: the dev pod cannot be created: .*exceeded quota: team.*limits\.memory.*`nhd dev end deployment\/web -n \S+` restores the workload\.$/m);
    expect((await cli.run(['dev', 'end', 'deployment/web', '-n', ns.name])).code).toBe(0);
    expect(specOf(ns.name, 'deployment', 'web')).toEqual(before);
  }, 240_000);
});
