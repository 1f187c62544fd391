/**
 * Where the sync agent's code is. An npm install or a checkout has it as dist/agent.js beside the
 * daemon's bundle; the single executable (dist/nhd-linux-x64, built by scripts/buildSea.mjs) has it
 * as an asset and runs it itself, since a machine with that executable may have no `node`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as sea from 'node:sea';

/** The single executable runs the agent instead of the CLI when this is set (scripts/seaMain.ts). */
export const SEA_AGENT_ENV = 'NHD_SEA_RUN_AGENT';
/** The agent's asset name in the single executable. */
export const SEA_AGENT_ASSET = 'agent.js';

/**
 * The built agent (dist/agent.js). Bundled into dist/nhd.js this module sits next to it; run from
 * source it is two levels below the repository.
 */
export function agentBundlePath(): string {
  const candidates = [path.join(__dirname, 'agent.js'), path.resolve(__dirname, '../../dist/agent.js')];
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found) throw new Error(`The sync agent bundle was not found (looked at ${candidates.join(', ')}); run \`npm run build\`.`);
  return found;
}

/** The agent's code, as the daemon uploads it into a sidecar. */
export function agentBundle(): Buffer {
  return sea.isSea() ? Buffer.from(sea.getAsset(SEA_AGENT_ASSET)) : fs.readFileSync(agentBundlePath());
}

/** How to run the agent as a local process on the daemon's own Node (or single executable). */
export function localAgentCommand(root: string): { command: string; args: string[]; env: Record<string, string> } {
  if (sea.isSea()) return { command: process.execPath, args: ['--root', root], env: { [SEA_AGENT_ENV]: '1' } };
  return { command: process.execPath, args: [agentBundlePath(), '--root', root], env: {} };
}
