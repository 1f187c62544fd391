/**
 * Two Syncthing instances on 127.0.0.1 configured the way Nocalhost configures its pair
 * (nocalhost/internal/nhctl/syncthing: fsWatcherEnabled, fsWatcherDelayS=1, rescanIntervalS=300,
 * ignorePerms=false, markerName ".", compression "metadata", no global/local discovery, no relays,
 * no NAT), with Debian's `syncthing` package: the local folder send-only, the far one receive-only.
 * Certificates and ids are generated into a temp home; the GUI/REST listens on 127.0.0.1 only and is
 * used to wait until the pair is connected and in sync.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { onCleanup, sleep, tempDir } from './syncSupport';

const FOLDER = 'nh-bench';

export function syncthingVersion(): string | undefined {
  const r = spawnSync('syncthing', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Instance {
  home: string;
  id: string;
  listenPort: number;
  guiPort: number;
  apiKey: string;
  process?: ChildProcess;
}

function folderXml(folderPath: string, type: 'sendonly' | 'receiveonly', ids: string[]): string {
  return `    <folder id="${FOLDER}" label="bench" path="${folderPath}" type="${type}" rescanIntervalS="300" fsWatcherEnabled="true" fsWatcherDelayS="1" ignorePerms="false" autoNormalize="true">
        <filesystemType>basic</filesystemType>
${ids.map((id) => `        <device id="${id}" introducedBy=""></device>`).join('\n')}
        <minDiskFree unit="%">1</minDiskFree>
        <versioning></versioning>
        <copiers>0</copiers>
        <pullerMaxPendingKiB>0</pullerMaxPendingKiB>
        <hashers>0</hashers>
        <order>random</order>
        <ignoreDelete>false</ignoreDelete>
        <scanProgressIntervalS>2</scanProgressIntervalS>
        <pullerPauseS>0</pullerPauseS>
        <maxConflicts>0</maxConflicts>
        <disableSparseFiles>false</disableSparseFiles>
        <disableTempIndexes>false</disableTempIndexes>
        <paused>false</paused>
        <weakHashThresholdPct>25</weakHashThresholdPct>
        <markerName>.</markerName>
    </folder>`;
}

function deviceXml(id: string, name: string, address: string): string {
  return `    <device id="${id}" name="${name}" compression="metadata" introducer="false" skipIntroductionRemovals="false" introducedBy="">
        <address>${address}</address>
        <paused>false</paused>
        <autoAcceptFolders>false</autoAcceptFolders>
    </device>`;
}

function configXml(self: Instance, peer: Instance, folderPath: string, type: 'sendonly' | 'receiveonly'): string {
  return `<configuration version="36">
${folderXml(folderPath, type, [self.id, peer.id])}
${deviceXml(self.id, 'self', 'dynamic')}
${deviceXml(peer.id, 'peer', `tcp://127.0.0.1:${peer.listenPort}`)}
    <gui enabled="true" tls="false" debugging="false">
        <address>127.0.0.1:${self.guiPort}</address>
        <apikey>${self.apiKey}</apikey>
        <theme>default</theme>
    </gui>
    <options>
        <listenAddress>tcp://127.0.0.1:${self.listenPort}</listenAddress>
        <globalAnnounceEnabled>false</globalAnnounceEnabled>
        <localAnnounceEnabled>false</localAnnounceEnabled>
        <relaysEnabled>false</relaysEnabled>
        <natEnabled>false</natEnabled>
        <reconnectionIntervalS>1</reconnectionIntervalS>
        <startBrowser>false</startBrowser>
        <urAccepted>-1</urAccepted>
        <urSeen>3</urSeen>
        <autoUpgradeIntervalH>0</autoUpgradeIntervalH>
        <crashReportingEnabled>false</crashReportingEnabled>
        <announceLANAddresses>false</announceLANAddresses>
        <setLowPriority>false</setLowPriority>
    </options>
</configuration>
`;
}

async function rest<T>(instance: Instance, route: string, method = 'GET'): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${instance.guiPort}${route}`, { method, headers: { 'X-API-Key': instance.apiKey } });
  if (!response.ok) throw new Error(`syncthing ${route}: HTTP ${response.status}`);
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // Not up yet.
    }
    if (Date.now() > deadline) throw new Error(`syncthing: timed out waiting for ${what}`);
    await sleep(100);
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** A connected Syncthing pair syncing `source` (send-only) to `target` (receive-only), both in sync; stopped by runCleanups. */
export async function startSyncthingPair(source: string, target: string): Promise<{ logs: string[] }> {
  const base = tempDir('syncthing', '/tmp');
  const make = async (name: string): Promise<Instance> => {
    const home = path.join(base, name);
    const generated = spawnSync('syncthing', ['generate', `--home=${home}`, '--no-default-folder', '--skip-port-probing'], { encoding: 'utf8', env: { ...process.env, HOME: base } });
    if (generated.status !== 0) throw new Error(`syncthing generate failed: ${generated.stderr}`);
    const id = spawnSync('syncthing', ['serve', `--home=${home}`, '--device-id'], { encoding: 'utf8', env: { ...process.env, HOME: base } }).stdout.trim();
    if (!/^[A-Z0-9-]{63}$/.test(id)) throw new Error(`syncthing --device-id gave ${JSON.stringify(id)}`);
    return { home, id, listenPort: await freePort(), guiPort: await freePort(), apiKey: randomBytes(16).toString('hex') };
  };
  const a = await make('local');
  const b = await make('remote');
  fs.writeFileSync(path.join(a.home, 'config.xml'), configXml(a, b, source, 'sendonly'));
  fs.writeFileSync(path.join(b.home, 'config.xml'), configXml(b, a, target, 'receiveonly'));
  for (const instance of [a, b]) {
    const log = fs.openSync(path.join(instance.home, 'syncthing.log'), 'w');
    const child = spawn('syncthing', ['serve', `--home=${instance.home}`, '--no-browser', '--no-restart', '--no-upgrade'], {
      stdio: ['ignore', log, log],
      env: { ...process.env, HOME: base, STNODEFAULTFOLDER: '1', STNOUPGRADE: '1', STNORESTART: '1' },
    });
    fs.closeSync(log);
    instance.process = child;
    // A bench process that dies without its afterAll must not leave Syncthing running.
    const reap = () => child.kill('SIGKILL');
    process.once('exit', reap);
    void exited(child).then(() => process.off('exit', reap));
    onCleanup(`syncthing ${instance.home} (pid ${child.pid})`, async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exited(child).then(() => true), sleep(5_000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exited(child);
      }
    });
  }
  await until('the pair to connect', async () => {
    const c = await rest<{ connections: Record<string, { connected: boolean }> }>(a, '/rest/system/connections');
    return c.connections[b.id]?.connected === true;
  });
  await until('the initial sync', async () => {
    const completion = await rest<{ completion: number; needItems: number }>(a, `/rest/db/completion?folder=${FOLDER}&device=${b.id}`);
    const status = await rest<{ state: string; needTotalItems: number }>(b, `/rest/db/status?folder=${FOLDER}`);
    return completion.completion === 100 && completion.needItems === 0 && status.state === 'idle' && status.needTotalItems === 0;
  }, 120_000);
  return { logs: [path.join(a.home, 'syncthing.log'), path.join(b.home, 'syncthing.log')] };
}
