// server/logs owns container logs of a workload's pod: the newest running pod's (else the newest
// pod's, so a crash can be read), streamed in whole lines where possible, followed until cancelled.
//
// Architecture Invariant: it reaches Kubernetes only through the Cluster port; which pod and
// container it reads is decided by server/terminal/podTarget.ts, as for terminals.

export { LogsService, type LogsOptions } from './logsService';
