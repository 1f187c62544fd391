import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamAgentLink } from '../../adapters/agent';
import { REPO, tempHome } from '../harness/daemon';
import { lspRoundTrip, runNhd, stopDaemon, type InstalledNhd } from './installedNhd';

const { version } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
const EXE = path.join(REPO, 'dist', `nhd-${process.platform}-${process.arch}`);

/**
 * Mounts, in a mount namespace of its own (gone with its last process): /dev, /proc, the test's /tmp
 * (one for every call, so that they share one daemon, whose socket is in /tmp/nhd),
 * the executable as /usr/local/bin/nhd and the config fixtures read-only as /fixtures; then runs
 * ARGS chrooted, with a bare environment (no NODE_*, no host PATH).
 */
const IN_ROOT = `set -e
root="$1"; exe="$2"; fixtures="$3"; tmp="$4"; shift 4
mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc"
mount --bind "$tmp" "$root/tmp"
mount --bind "$exe" "$root/usr/local/bin/nhd"
mount --bind -o ro "$fixtures" "$root/fixtures"
exec chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root NHD_HOME=/tmp/nhd "$@"`;

/**
 * The single executable (npm run build:sea) on a machine without Node: a Debian root file system
 * with no node in it (scripts/noNodeRootfs.sh, from the local cluster's debian layer), entered with
 * unshare and chroot. The CLI, the shared daemon it starts, one LSP session, and the sync agent the
 * executable carries, all with no Node but its own.
 */
describe('the single executable in a root without Node', () => {
  let root: string;
  const tmp = tempHome();
  fs.chmodSync(tmp, 0o1777);
  const inRoot = (...args: string[]): InstalledNhd => ({ command: 'unshare', prefix: ['-m', '--propagation', 'private', '--', 'bash', '-c', IN_ROOT, 'in-root', root, EXE, path.join(REPO, 'test/fixtures/nocalhost-configs'), tmp, ...args], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });

  beforeAll(() => {
    expect(fs.existsSync(EXE), `${EXE} is missing: npm run build:sea (npm test runs it)`).toBe(true);
    root = execFileSync('bash', [path.join(REPO, 'scripts/noNodeRootfs.sh')], { encoding: 'utf8' }).trim();
  }, 300_000);

  afterAll(() => {
    stopDaemon(inRoot('nhd'));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('has no node in the root', () => {
    const found = runNhd(inRoot('sh', '-c', 'command -v node nodejs || echo none'), []);
    expect(found).toMatchObject({ status: 0, stdout: 'none\n' });
  });

  it('runs nhd --version and nhd config validate', () => {
    expect(runNhd(inRoot('nhd'), ['--version'])).toMatchObject({ status: 0, stdout: `${version}\n` });
    const valid = runNhd(inRoot('nhd'), ['config', 'validate', '/fixtures/bookinfo/.nocalhost/config.yaml']);
    expect(valid.status, valid.stderr).toBe(0);
    expect(valid.stderr).toMatch(/\/fixtures\/bookinfo\/.nocalhost\/config.yaml: valid, 5 service\(s\)/);
    expect(runNhd(inRoot('nhd'), ['config', 'validate', '/fixtures/broken/.nocalhost/config.yaml']).status).toBe(1);
  });

  it('starts the shared daemon from itself (nhd status)', () => {
    const status = runNhd(inRoot('nhd'), ['status', '--json']);
    expect(status.status, status.stderr).toBe(0);
    const parsed = JSON.parse(status.stdout) as { version: string; pid: number; mode: string };
    expect(parsed).toMatchObject({ version, mode: 'socket' });
    expect(fs.readFileSync(`/proc/${parsed.pid}/cmdline`, 'utf8').split('\0').slice(0, 3)).toEqual(['/usr/local/bin/nhd', 'serve', '--listen']);
  });

  it('serves one LSP session on stdio: initialize, shutdown, exit', async () => {
    const result = await lspRoundTrip(inRoot('nhd'));
    expect(result.serverInfo).toEqual({ name: 'nhd', version });
  });

  it('runs the sync agent it carries, as the daemon does for sendReceive', async () => {
    const nhd = inRoot('env', 'NHD_SEA_RUN_AGENT=1', 'nhd', '--root', '/fixtures');
    const child = spawn(nhd.command, nhd.prefix, { env: nhd.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<string>((resolve) => child.once('close', (code) => resolve(`the agent exited with code ${code}`)));
    const link = await StreamAgentLink.connect({ input: child.stdin, output: child.stdout, exited, kill: () => child.kill('SIGKILL') });
    try {
      const paths = (await link.index()).map((entry) => entry.path);
      expect(paths).toEqual(expect.arrayContaining(['bookinfo/.nocalhost/config.yaml', 'broken/.nocalhost/config.yaml']));
    } finally {
      link.close();
    }
    expect(await exited).toMatch(/the agent exited/);
  });
});
