/**
 * The entry point of the single executable (dist/nhd-<platform>-<arch>, built by scripts/buildSea.mjs).
 * It is the `nhd` command, and also the sync agent when the daemon starts it as one
 * (adapters/agent/agentBundle.ts): a machine with only this executable may have no `node` to run
 * dist/agent.js with. The agent runs from the executable's asset, the very bytes the daemon uploads
 * into sidecars, so the local and the remote side never differ.
 */
import { getAsset } from 'node:sea';
import * as vm from 'node:vm';
import { SEA_AGENT_ASSET, SEA_AGENT_ENV } from '../adapters/agent/agentBundle';
import { run } from '../clients/cli/main';

if (process.env[SEA_AGENT_ENV] === '1') {
  delete process.env[SEA_AGENT_ENV];
  // A CommonJS module of node built-ins only; the executable's own require serves them.
  const agent = vm.compileFunction(getAsset(SEA_AGENT_ASSET, 'utf8'), ['require', 'module', 'exports', '__filename', '__dirname'], { filename: SEA_AGENT_ASSET });
  const module = { exports: {} };
  agent(require, module, module.exports, process.execPath, __dirname);
} else {
  run();
}
