/**
 * adapters/kube: the Cluster port (server/ports.ts) on @kubernetes/client-node — kubeconfig loading
 * the way kubectl does it, objects of any kind (discovery, plain JSON, server-side apply), watch
 * with re-list and resume, exec with TTY resize, port-forward of one connection, logs.
 *
 * It imports only @kubernetes/client-node, node built-ins and server/ports (types and
 * KubeApiError); never other server/ files, clients/ or the other adapters (test/unit/tidy.test.ts).
 * Nothing here writes to stdout, which may be the daemon's protocol transport.
 */
export { KubeCluster, type KubeClusterOptions } from './kubeCluster';
export { FAULT_ENV, faultInjector, parseFault, type Fault } from './faultInjection';
