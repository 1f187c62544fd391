import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../test/harness/daemon';
import { createNamespace, kubectl, nhdCli, waitRollout } from '../test/e2e/support';
import { record, time } from './support';

/**
 * Dev mode on warm images: dev start → dev container ready, and dev end → original pods ready,
 * for bookinfo-lite's authors. The anchor, measured in the same run, is what Kubernetes itself
 * needs to replace that pod: `kubectl rollout restart` until the rollout is complete.
 */
const RUNS = Number(process.env['NHD_BENCH_RUNS'] ?? 7);
const ns = createNamespace('nhd-bench-dev');
const cli = nhdCli('bench@nhd');
afterAll(() => {
  cli.stop();
  ns.dispose();
});

describe('dev mode benchmark', () => {
  it(`dev start and dev end, ${RUNS} runs each, against a plain rollout`, async () => {
    const app = path.join(REPO, 'test/fixtures/bookinfo-lite');
    expect((await cli.run(['app', 'install', path.join(app, 'manifests'), '-n', ns.name])).code).toBe(0);
    await cli.run(['status']); // The daemon is warm before the first sample.
    const starts: number[] = [];
    const ends: number[] = [];
    const rollouts: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      rollouts.push(
        await time(async () => {
          kubectl(['rollout', 'restart', 'deployment/authors', '-n', ns.name]);
          waitRollout(ns.name, 'deployment', 'authors');
        }),
      );
      starts.push(
        await time(async () => {
          const r = await cli.run(['dev', 'start', 'deployment/authors', '-n', ns.name, '--local-dir', path.join(app, 'authors')]);
          expect(r.code, r.stderr).toBe(0);
        }),
      );
      ends.push(
        await time(async () => {
          expect((await cli.run(['dev', 'end', 'deployment/authors', '-n', ns.name])).code).toBe(0);
          waitRollout(ns.name, 'deployment', 'authors');
        }),
      );
    }
    const baseline = { name: 'kubectl rollout restart + status', measures: 'replace the authors pod with a new one and wait until it is ready', samples: rollouts };
    record({ name: 'dev start', measures: '`nhd dev start deployment/authors` until the dev container is ready (CLI round trip included)', unit: 'ms', samples: starts, baseline });
    record({ name: 'dev end', measures: '`nhd dev end deployment/authors` and the original pod ready again', unit: 'ms', samples: ends, baseline });
  });
});
