import { RequestType } from 'vscode-jsonrpc';
import type { WorkDoneParams } from './types';
import type { PortForward } from './portForward';
import type { ClusterScope } from './workloads';

/** Parameters of `nhd/app/install`. */
export interface AppInstallParams extends ClusterScope, WorkDoneParams {
  /** A directory of Kubernetes manifests (*.yaml, *.yml, *.json; Nocalhost's rawManifest). */
  dir: string;
  /** The application's name, recorded on every object (default: the dev config's `application.name`, else the directory's name). */
  name?: string;
  /** Wait until the workloads are available (default true). */
  wait?: boolean;
  /** How long to wait, in seconds (default 300). */
  timeoutSeconds?: number;
}

export interface AppObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface AppInstallResult {
  name: string;
  namespace: string;
  /** Objects applied, in order. */
  objects: AppObject[];
  /** The dev config's `install.portForward` forwards, now held by the daemon (stopped by `nhd/app/uninstall`). */
  portForwards: PortForward[];
  /** What did not work but did not stop the install (a local port already taken). */
  warnings?: string[];
}

/**
 * Installs an application from a manifest directory with server-side apply (field manager `nhd`),
 * labelling each object `nhd.dev/app=<name>`, then waits for its workloads and starts the dev
 * config's `install.portForward` forwards (the config found from `dir` upwards). Re-running updates it.
 */
export namespace AppInstallRequest {
  export const method = 'nhd/app/install' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<AppInstallParams, AppInstallResult, void>(method);
}

/** Parameters of `nhd/app/uninstall`. */
export interface AppUninstallParams extends ClusterScope, WorkDoneParams {
  /** The application's name, as installed. */
  name: string;
}

export interface AppUninstallResult {
  /** Objects deleted. */
  objects: AppObject[];
}

/** Deletes every object labelled `nhd.dev/app=<name>` in the namespace. */
export namespace AppUninstallRequest {
  export const method = 'nhd/app/uninstall' as const;
  export const direction = 'clientToServer' as const;
  export const type = new RequestType<AppUninstallParams, AppUninstallResult, void>(method);
}
