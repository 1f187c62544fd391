/**
 * adapters/agent owns the sync agent: its wire format (codec.ts), the program that runs inside the
 * sidecar (agent.ts, bundled alone into dist/agent.js), the daemon's `AgentLink` over any pair of
 * streams (agentLink.ts), the transport into a container over `Cluster.exec` (execTransport.ts) and a
 * local-process transport (localTransport.ts: sendReceive's local side, tests, benchmarks), and where
 * the agent's code is, a file or an asset of the single executable (agentBundle.ts).
 *
 * It imports nothing from server/ but the types of server/ports.ts; agent.ts and codec.ts import
 * only node built-ins, because the agent is bundled from them alone.
 */
export { AgentError, StreamAgentLink, type AgentStreams, type ConnectOptions } from './agentLink';
export { agentBundle, agentBundlePath, localAgentCommand } from './agentBundle';
export { startLocalAgent, type LocalAgent, type LocalAgentOptions } from './localTransport';
export { startExecAgent, type ExecAgentOptions, type ExecTarget } from './execTransport';
