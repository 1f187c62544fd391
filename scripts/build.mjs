// Bundles the `nhd` command into dist/nhd.js: one file, so an editor or the CLI's auto-start
// spawns the daemon without resolving hundreds of modules (startup time matters for `nhd status`).
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';

await build({
  entryPoints: { nhd: 'clients/cli/index.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  sourcemap: 'linked',
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
chmodSync('dist/nhd.js', 0o755);

// The sync agent: one file with no dependencies that the daemon uploads into a sidecar and runs
// there with whatever node the image has, hence the old target.
await build({
  entryPoints: { agent: 'adapters/agent/agent.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  logLevel: 'warning',
});
