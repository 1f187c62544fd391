import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NHD, REPO } from '../harness/daemon';

/**
 * JetBrains, as LSP4IJ drives nhd: the JVM test in clients/jetbrains/lsp4j-test (LSP4J from Maven
 * Central, the version LSP4IJ uses) launches the language server template's command on stdio and
 * runs the main flow. Java and Maven come from scripts/install-deps.sh; when they are missing this
 * test fails rather than skips. The first run downloads LSP4J, JUnit and Maven's plugins into
 * ~/.cache/nhd-maven (a few MB); later runs are offline.
 */
const PROJECT = path.join(REPO, 'clients/jetbrains/lsp4j-test');
const MAVEN_REPO = path.join(os.homedir(), '.cache/nhd-maven');
/** Written after a successful online run: offline is safe while the pom stays the same. */
const MARKER = path.join(MAVEN_REPO, '.nhd-lsp4j-test');

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: PROJECT, env: { ...process.env, KUBECONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('LSP4J (JetBrains via LSP4IJ)', () => {
  it('initializes, lists the commands, runs the main flow through executeCommand and custom requests, gets progress and state notifications', async () => {
    const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
    expect(java.error, 'java is not installed: bash scripts/install-deps.sh installs openjdk-17-jdk-headless').toBeUndefined();
    const mvn = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
    expect(mvn.error, 'mvn is not installed: bash scripts/install-deps.sh installs maven').toBeUndefined();

    const pomHash = crypto.createHash('sha256').update(fs.readFileSync(path.join(PROJECT, 'pom.xml'))).digest('hex');
    let offline = fs.existsSync(MARKER) && fs.readFileSync(MARKER, 'utf8') === pomHash;
    const args = (offlineRun: boolean) => [
      '-B',
      '-q',
      ...(offlineRun ? ['-o'] : []),
      `-Dmaven.repo.local=${MAVEN_REPO}`,
      `-Dnhd.repo=${REPO}`,
      `-Dnhd.node=${process.execPath}`,
      `-Dnhd.script=${NHD}`,
      'test',
    ];
    const started = Date.now();
    let result = await run('mvn', args(offline), offline ? 240_000 : 900_000);
    // The cache was emptied since the marker was written: fetch again.
    if (offline && result.code !== 0 && /offline|has not been downloaded|Cannot access/i.test(result.output)) {
      offline = false;
      result = await run('mvn', args(false), 900_000);
    }
    const ms = Date.now() - started;
    expect(result.output, `mvn ${args(offline).join(' ')} (exit ${result.code})`).not.toMatch(/FAIL|ERROR\]/);
    expect(result.code, result.output).toBe(0);
    if (!offline) fs.writeFileSync(MARKER, pomHash);
    for (const line of ['initialize: ', 'nhd.status: ', 'nhd/config/validate: ', 'publishDiagnostics on didOpen', 'nhd/kube/contexts: fake', 'nhd.dev.start error 1106', '$/progress: ', 'nhd/status/didChange', 'shutdown/exit']) {
      expect(result.output).toContain(`ok: ${line}`);
    }
    process.stderr.write(`[lsp4j] mvn ${offline ? 'offline' : 'online'} took ${ms} ms; ${/ok: LSP4J flow took \d+ ms/.exec(result.output)?.[0] ?? ''}\n`);
  }, 960_000);
});
