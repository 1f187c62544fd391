// server/app owns applications as nhd installs them: manifests read from a directory, applied with
// server-side apply in dependency order, a record ConfigMap of what was applied (so that uninstall
// deletes exactly that), and the wait for the app's workloads to be Available.
//
// Architecture Invariant: it reaches Kubernetes only through the Cluster port (via kubeScope); it
// knows nothing of the wire (server/rpc converts) and nothing of dev mode.

export { APP_LABEL, AppService } from './appService';
