// `npm run build:sea`: nhd as a Node single executable application, dist/nhd-<platform>-<arch>
// (the daemon, the CLI and the sync agent in one file, runnable where there is no Node), and the
// VS Code extension that carries it, dist/nhd-vscode-<platform>-<arch>-<version>.vsix. The
// executable is a copy of the Node that runs this script (the pinned one, through npm scripts)
// with the SEA blob injected by postject, so each platform's executable is built on that
// platform (see docs/install.md). Needs `npm run build` first (dist/agent.js); skips the work
// when nothing that goes into the outputs changed. `--quiet` prints nothing but errors.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const quiet = process.argv.includes('--quiet');
const say = (text) => quiet || process.stderr.write(`${text}\n`);
const fail = (text) => {
  process.stderr.write(`build:sea: ${text}\n`);
  process.exit(1);
};

const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const { version: extensionVersion } = JSON.parse(fs.readFileSync('clients/vscode/package.json', 'utf8'));
if (process.version !== `v${pkg.devDependencies.node}`) {
  fail(`this is Node ${process.version}, not the pinned ${pkg.devDependencies.node}: run it as \`npm run build:sea\`.`);
}
const target = `${process.platform}-${process.arch}`; // also vsce's name of the platform (linux-x64, darwin-arm64, win32-x64)
const exe = `dist/nhd-${target}${process.platform === 'win32' ? '.exe' : ''}`;
const vsix = `dist/nhd-vscode-${target}-${extensionVersion}.vsix`;
const work = 'dist/sea';
if (!fs.existsSync('dist/agent.js')) fail('dist/agent.js is missing: run `npm run build` first.');
fs.mkdirSync(work, { recursive: true });

await build({
  entryPoints: { main: 'scripts/seaMain.ts' },
  outdir: work,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  logLevel: 'warning',
});

// Everything the outputs are made of; equal keys mean equal outputs.
const key = createHash('sha256')
  .update(fs.readFileSync(`${work}/main.js`))
  .update(fs.readFileSync('dist/agent.js'))
  .update(`${process.version} ${fs.statSync(process.execPath).size} ${extensionVersion} ${fs.readFileSync(import.meta.filename)}`)
  .update(fs.readFileSync('clients/vscode/dist/extension.js'))
  .digest('hex');
const keyFile = `${work}/key`;
if (fs.existsSync(exe) && fs.existsSync(vsix) && fs.existsSync(keyFile) && fs.readFileSync(keyFile, 'utf8') === key) {
  say(`build:sea: ${exe} and ${vsix} are up to date`);
  process.exit(0);
}
fs.rmSync(keyFile, { force: true });
const started = Date.now();

// The blob: the bundle (with V8's code cache, for a fast start) and the agent as an asset, which
// the daemon uploads into sidecars and runs locally (adapters/agent/agentBundle.ts).
fs.writeFileSync(
  `${work}/sea-config.json`,
  JSON.stringify({
    main: `${work}/main.js`,
    output: `${work}/blob`,
    disableExperimentalSEAWarning: true,
    useCodeCache: true,
    assets: { 'agent.js': 'dist/agent.js' },
  }),
);
run(process.execPath, ['--experimental-sea-config', `${work}/sea-config.json`]);

const staged = `${exe}.tmp`;
fs.copyFileSync(process.execPath, staged);
fs.chmodSync(staged, 0o755);
if (process.platform === 'darwin') run('codesign', ['--remove-signature', staged]);
let postject;
try {
  postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
} catch {
  fail('postject (a devDependency) is not installed: run `npm ci`.');
}
const macho = process.platform === 'darwin' ? ['--macho-segment-name', 'NODE_SEA'] : [];
run(process.execPath, [postject, staged, 'NODE_SEA_BLOB', `${work}/blob`, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2', ...macho]);
if (process.platform === 'darwin') run('codesign', ['--sign', '-', staged]);
const printed = run(staged, ['--version']).trim();
if (!printed.includes(pkg.version)) fail(`the executable printed ${JSON.stringify(printed)}, expected version ${pkg.version}`);
fs.renameSync(staged, exe);
say(`build:sea: ${exe} (${mib(exe)}) in ${seconds(started)}`);

// The platform-specific extension: the universal one plus the executable as dist/bin/nhd, which
// the extension runs when nhd.path is empty and nothing newer is on PATH (clients/vscode/src/client/executable.ts).
const bundled = `clients/vscode/dist/bin/nhd${process.platform === 'win32' ? '.exe' : ''}`;
fs.mkdirSync('clients/vscode/dist/bin', { recursive: true });
fs.copyFileSync(exe, bundled);
fs.chmodSync(bundled, 0o755);
try {
  const vsixStarted = Date.now();
  const { createVSIX } = await import('@vscode/vsce');
  const keep = { log: console.log, info: console.info, warn: console.warn };
  // vsce's report (its file table, "the file is large") says nothing the line below does not;
  // its errors (console.error, a rejected createVSIX) always show.
  console.log = console.info = console.warn = () => {};
  try {
    await createVSIX({
      cwd: 'clients/vscode',
      packagePath: vsix,
      target,
      ignoreFile: 'clients/vscode/.vscodeignore-bundled',
      dependencies: false,
      allowStarActivation: false,
      allowMissingRepository: true,
    });
  } finally {
    Object.assign(console, keep);
  }
  say(`build:sea: ${vsix} (${mib(vsix)}) in ${seconds(vsixStarted)}`);
} finally {
  fs.rmSync('clients/vscode/dist/bin', { recursive: true, force: true });
}
fs.writeFileSync(keyFile, key);

/** Runs a command; its output is shown only when it fails (postject's LIEF warns about every note section). */
function run(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) fail(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0) fail(`${[command, ...args].join(' ')} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

function mib(file) {
  return `${(fs.statSync(file).size / 2 ** 20).toFixed(1)} MiB`;
}

function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
