import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, tempHome } from '../harness/daemon';
import { lspRoundTrip, runNhd, stopDaemon, type InstalledNhd } from './installedNhd';

const { version } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
const FIXTURES = path.join(REPO, 'test/fixtures/nocalhost-configs');

/**
 * The npm package as a user gets it: `npm pack` of the built checkout, `npm install -g` of the
 * tarball into a fresh prefix, and `<prefix>/bin/nhd` run with only a Node (the pinned one, ≥ 22)
 * on PATH: the CLI, the daemon it starts, one LSP session, and the files the package carries.
 */
describe('the npm package', () => {
  const work = tempHome();
  const prefix = path.join(work, 'prefix');
  let packed: { filename: string; files: { path: string }[] };
  let nhd: InstalledNhd;

  beforeAll(() => {
    // --ignore-scripts: prepack would rebuild dist/ under the other integration tests' feet; npm test built it.
    [packed] = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: REPO, encoding: 'utf8' }));
    execFileSync('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', path.join(work, packed.filename)], { cwd: work, encoding: 'utf8' });
    const home = path.join(work, 'home');
    nhd = { command: path.join(prefix, 'bin', 'nhd'), prefix: [], env: { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: home, NHD_HOME: home } };
  }, 120_000);

  afterAll(() => {
    stopDaemon(nhd);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('packs only what nhd needs: the bundles, the Neovim plugin and the JetBrains templates', () => {
    expect(packed.filename).toBe(`nhd-${version}.tgz`);
    const files = packed.files.map((f) => f.path).sort();
    expect(files.filter((f) => !/^(package\.json|README\.md|dist\/(nhd|agent)\.js|clients\/neovim\/(lua|plugin)\/.+\.lua|clients\/jetbrains\/lsp4ij\/nhd-[a-z-]+\/[\w.]+\.(json|md))$/.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['dist/nhd.js', 'dist/agent.js', 'clients/neovim/lua/nhd/init.lua', 'clients/neovim/lua/nhd/protocol.lua', 'clients/neovim/plugin/nhd.lua', 'clients/jetbrains/lsp4ij/nhd-language-server/template.json', 'clients/jetbrains/lsp4ij/nhd-dap/template.json']));
  });

  it('installs with no dependencies to fetch, putting nhd on the prefix\'s PATH', () => {
    const installed = path.join(prefix, 'lib', 'node_modules', 'nhd');
    expect(fs.readlinkSync(nhd.command)).toBe('../lib/node_modules/nhd/dist/nhd.js');
    expect(fs.existsSync(path.join(installed, 'dist', 'agent.js'))).toBe(true);
    expect(fs.existsSync(path.join(installed, 'node_modules'))).toBe(false);
  });

  it('runs nhd --version and nhd config validate through the installed bin', () => {
    const printed = runNhd(nhd, ['--version']);
    expect(printed).toMatchObject({ status: 0, stdout: `${version}\n` });
    const valid = runNhd(nhd, ['config', 'validate', path.join(FIXTURES, 'bookinfo/.nocalhost/config.yaml')]);
    expect(valid.status, valid.stderr).toBe(0);
    expect(valid.stderr).toMatch(/bookinfo\/.nocalhost\/config.yaml: valid, 5 service\(s\)/);
    const broken = runNhd(nhd, ['config', 'validate', path.join(FIXTURES, 'broken/.nocalhost/config.yaml')]);
    expect(broken.status).toBe(1);
  });

  it('starts the shared daemon from the installed bin (nhd status)', () => {
    const status = runNhd(nhd, ['status', '--json']);
    expect(status.status, status.stderr).toBe(0);
    const parsed = JSON.parse(status.stdout) as { version: string; pid: number; mode: string };
    expect(parsed).toMatchObject({ version, mode: 'socket' });
  });

  it('serves one LSP session on stdio: initialize, shutdown, exit', async () => {
    const result = await lspRoundTrip(nhd);
    expect(result.serverInfo).toEqual({ name: 'nhd', version });
  });
});
