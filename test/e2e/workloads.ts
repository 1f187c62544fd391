import { JOB_GENERATED_LABELS } from '../../server/devMode/plan';
import { APP_IMAGE } from './support';

/** The six workload kinds as the dev mode e2e tests use them (devMode.test.ts, devModeFaults.test.ts). */

/** One container in YAML flow style, so it fits at any indentation. */
export const container = (name: string, command = 'python3 -m http.server 9080') =>
  `{name: ${name}, image: "${APP_IMAGE}", imagePullPolicy: Never, command: [sh, -c, "${command}"], readinessProbe: {tcpSocket: {port: 9080}, periodSeconds: 2}}`;

export const MANIFESTS: Record<string, string> = {
  deployment: `apiVersion: apps/v1
kind: Deployment
metadata: {name: dep}
spec:
  replicas: 2
  selector: {matchLabels: {app: dep}}
  template:
    metadata: {labels: {app: dep}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [${container('app')}]`,
  statefulset: `apiVersion: v1
kind: Service
metadata: {name: sts}
spec: {clusterIP: None, selector: {app: sts}, ports: [{port: 9080}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: sts}
spec:
  serviceName: sts
  replicas: 1
  selector: {matchLabels: {app: sts}}
  template:
    metadata: {labels: {app: sts}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [${container('app')}]`,
  daemonset: `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds}
spec:
  selector: {matchLabels: {app: ds}}
  template:
    metadata: {labels: {app: ds}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [${container('app')}]`,
  job: `apiVersion: batch/v1
kind: Job
metadata: {name: job}
spec:
  backoffLimit: 2
  activeDeadlineSeconds: 3600
  template:
    metadata: {labels: {app: job}}
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers: [${container('app')}]`,
  cronjob: `apiVersion: batch/v1
kind: CronJob
metadata: {name: cron}
spec:
  schedule: "0 0 1 1 *"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: cron}}
        spec:
          restartPolicy: Never
          terminationGracePeriodSeconds: 1
          containers: [${container('app')}]`,
  pod: `apiVersion: v1
kind: Pod
metadata: {name: pod, labels: {app: pod}}
spec:
  terminationGracePeriodSeconds: 1
  containers: [${container('app')}]`,
};
export const NAMES: Record<string, string> = { deployment: 'dep', statefulset: 'sts', daemonset: 'ds', job: 'job', cronjob: 'cron', pod: 'pod' };

/** Fields the Job controller generates anew when a Job is created again. */
export function comparable(kind: string, spec: any): unknown {
  if (kind !== 'job') return spec;
  const copy = structuredClone(spec);
  delete copy.selector;
  for (const key of JOB_GENERATED_LABELS) delete copy.template.metadata.labels[key];
  return copy;
}

/** An HPA on the deployment above, so that dev mode has one to hold at one replica. */
export const DEPLOYMENT_HPA = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: dep}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: dep}
  minReplicas: 2
  maxReplicas: 4
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}]`;
