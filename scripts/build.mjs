// Bundles the `nhd` command into dist/nhd.js: one file, so an editor or the CLI's auto-start
// spawns the daemon without resolving hundreds of modules (startup time matters for `nhd status`).
// `--quiet` (npm run demo, npm pack) prints nothing but warnings and errors.
import { format } from 'node:util';
import { build } from 'esbuild';
import { chmodSync, readFileSync } from 'node:fs';

const quiet = process.argv.includes('--quiet');

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

// The VS Code extension (clients/vscode): one bundle, `vscode` itself is the editor's. The editor
// runs it on its own Node (20 in VS Code 1.91), hence the target.
await build({
  entryPoints: { extension: 'clients/vscode/src/extension.ts' },
  outdir: 'clients/vscode/dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['vscode'],
  minify: true,
  keepNames: true,
  logLevel: 'warning',
});

// ... packaged as dist/nhd-vscode-<version>.vsix. The bundle has no dependencies to ship, so vsce
// looks at no node_modules; it loads lazily, and only here, to keep the rest of the build fast.
const { createVSIX } = await import('@vscode/vsce');
// vsce reports on stdout; scripts such as `npm run -s bench -- --json` build first and keep stdout for
// JSON. Its report (the file table, "DONE") and its size notes are dropped when quiet; its errors
// (console.error, or a rejected createVSIX) always show.
const toStderr = (...args) => process.stderr.write(`${format(...args)}\n`);
console.log = console.info = quiet ? () => {} : toStderr;
if (quiet) console.warn = () => {};
const { version } = JSON.parse(readFileSync('clients/vscode/package.json', 'utf8'));
await createVSIX({ cwd: 'clients/vscode', packagePath: `dist/nhd-vscode-${version}.vsix`, dependencies: false, allowStarActivation: false, allowMissingRepository: true });
