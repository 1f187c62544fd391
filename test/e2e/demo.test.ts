import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../harness/daemon';
import { kubectl } from './support';

/**
 * `npm run demo` as a new user runs it (after the build, which the suite did): README's main command must keep
 * working. It runs against the suite's cluster (KUBECONFIG from globalSetup: "the current context answers").
 */
describe('npm run demo', () => {
  it('walks the seed article’s loop: install, dev start, hot reload shows the new author, dev end restores, clean up', async () => {
    const namespace = `nhd-demo-${Date.now().toString(36)}`;
    const child = spawn(process.execPath, [path.join(REPO, 'scripts/demo.mjs')], {
      cwd: REPO,
      env: { ...process.env, NHD_DEMO_NAMESPACE: namespace },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, out).toBe(0);
    expect(out).toMatch(/Choose a cluster\n.*\n?\s+done in [\d.]+ m?s — the current context/);
    expect(out).toMatch(/says: Author: William Shakespeare/);
    expect(out).toMatch(/says: Author: Ada Lovelace/);
    expect(out).toMatch(/save → synced in [\d.]+ m?s, old process stopped in [\d.]+ m?s, \.\/run\.sh started in [\d.]+ m?s/);
    expect(out).toMatch(/productpage says: Author: William Shakespeare \(the original image again\)/);
    expect(out).toMatch(/Timings\n/);
    // Nothing of the app is left; the namespace (which app install created) goes with the test.
    try {
      expect(kubectl(['get', 'deployments,services', '-n', namespace, '-o', 'name'])).toBe('');
    } finally {
      kubectl(['delete', 'namespace', namespace, '--wait=false']);
    }
  });
});
