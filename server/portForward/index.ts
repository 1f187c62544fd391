// server/portForward owns the port-forwards the daemon holds: 127.0.0.1 listeners whose connections
// reach a port of the workload's current ready pod, one API-server stream per connection, following
// the pod across restarts; the dev config's portForward pairs start and stop with dev mode.
//
// Architecture Invariant: it listens on 127.0.0.1 only (LOOPBACK), never on another address, and
// reaches pods only through the Cluster port's portForward.

export { LOOPBACK, PortForwardService, WAIT_FOR_POD_MS } from './portForwardService';
