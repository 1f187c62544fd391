import type { ProtocolVersionString } from './types';

/**
 * What a client may pass in `initialize`'s `initializationOptions`. Every field is optional;
 * the daemon falls back to what kubectl would use.
 */
export interface NhdInitializationOptions {
  /** Path(s) of kubeconfig files, as in KUBECONFIG (joined by the platform's path delimiter). */
  kubeconfig?: string;
  /** The kubeconfig context to use instead of its current-context. */
  context?: string;
  /** The namespace to use instead of the context's. */
  namespace?: string;
}

/**
 * nhd's own capabilities, under `capabilities.experimental.nhd` in `initialize`'s result.
 * A client checks `protocolVersion` before it uses any `nhd/` method.
 */
export interface NhdServerCapabilities {
  /** The protocol version the daemon speaks (see PROTOCOL_VERSION). */
  protocolVersion: ProtocolVersionString;
  /** The daemon's own version (the npm package's), also in `serverInfo.version`. */
  daemonVersion: string;
  /** Process id of the daemon, for diagnostics. */
  pid: number;
  /** The `nhd/` request methods this daemon serves. */
  methods: string[];
}
