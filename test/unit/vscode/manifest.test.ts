import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Commands } from '../../../protocol';
import { NhdClient } from '../../../clients/vscode/src/client/nhdClient';
import { WorkloadModel } from '../../../clients/vscode/src/client/workloadModel';
import { registerCommands } from '../../../clients/vscode/src/ui/commands';
import { fake } from './fakeVscode';
import { FakeRpc } from './fakeRpc';

const manifest = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../../clients/vscode/package.json'), 'utf8'));
const rootPackage = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../../package.json'), 'utf8'));

/** The extension manifest (clients/vscode/package.json) against the code. */
describe('the VS Code extension manifest', () => {
  it('contributes exactly the commands the extension registers, none clashing with the daemon commands vscode-languageclient registers', () => {
    fake.reset();
    const rpc = new FakeRpc();
    const disposables = registerCommands({ client: () => new NhdClient(rpc), model: new WorkloadModel(new NhdClient(rpc)), output: {} as never, restart: async () => undefined });
    const contributed = (manifest.contributes.commands as { command: string }[]).map((c) => c.command).sort();
    expect([...fake.commands.keys()].sort()).toEqual(contributed);
    expect(contributed.filter((id) => id in Commands)).toEqual([]);
    const menus = Object.values(manifest.contributes.menus as Record<string, { command: string }[]>).flat().map((m) => m.command);
    expect(menus.filter((id) => !contributed.includes(id))).toEqual([]);
    disposables.forEach((d) => d.dispose());
  });

  it("declares an engines.vscode that the @types/vscode it is checked against matches, and what vsce needs", () => {
    expect(manifest.engines.vscode).toBe(`^${rootPackage.devDependencies['@types/vscode']}`);
    expect(manifest).toMatchObject({ publisher: expect.any(String), license: 'MIT', main: './dist/extension.js' });
    // No placeholder address: the project has no public repository yet (the build passes allowMissingRepository).
    expect(manifest).not.toHaveProperty('repository');
    // The platform-specific .vsix carries the nhd built with it and takes the extension's version as its own.
    expect(manifest.version).toBe(rootPackage.version);
    expect(fs.existsSync(path.resolve(import.meta.dirname, '../../../clients/vscode/LICENSE'))).toBe(true);
    expect(fs.existsSync(path.resolve(import.meta.dirname, '../../../clients/vscode/README.md'))).toBe(true);
    expect(manifest.dependencies ?? {}).toEqual({});
  });

  it('contributes the debug type nhd with the attach attributes nhd dap takes', () => {
    const [debuggerContribution] = manifest.contributes.debuggers;
    expect(debuggerContribution.type).toBe('nhd');
    expect(Object.keys(debuggerContribution.configurationAttributes.attach.properties).sort()).toEqual(['container', 'context', 'language', 'localRoot', 'namespace', 'remoteRoot', 'workload']);
  });
});
