// A minimal dynamic provisioner for the local test cluster's default StorageClass (nhd-hostpath).
// Every 2 s: for each Pending claim of our class without a volume, create a hostPath PV bound to it;
// for each of our PVs that is Released (its claim is gone), delete its directory and the PV.
// Talks to the API server with the pod's service account token; no dependencies but Node itself.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const CLASS = 'nhd-hostpath';
const PROVISIONER = 'nhd.dev/hostpath';
const PV_ROOT = process.env.PV_ROOT; // the directory on the node
const LOCAL_ROOT = '/pv-root'; // the same directory, mounted into this pod
const SA = '/var/run/secrets/kubernetes.io/serviceaccount';
const API = `https://${process.env.KUBERNETES_SERVICE_HOST}:${process.env.KUBERNETES_SERVICE_PORT}`;

async function api(method, urlPath, body) {
  const token = fs.readFileSync(`${SA}/token`, 'utf8').trim(); // re-read: projected tokens rotate
  const res = await fetch(API + urlPath, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok && res.status !== 404 && res.status !== 409) {
    throw new Error(`${method} ${urlPath}: ${res.status} ${text.slice(0, 300)}`);
  }
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

function volumeName(pvc) {
  return `pvc-${pvc.metadata.uid}`;
}

async function provision(pvc) {
  const name = volumeName(pvc);
  const dir = `${pvc.metadata.namespace}-${pvc.metadata.name}-${pvc.metadata.uid}`;
  const pv = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': PROVISIONER } },
    spec: {
      capacity: { storage: pvc.spec.resources?.requests?.storage || '1Gi' },
      accessModes: pvc.spec.accessModes?.length ? pvc.spec.accessModes : ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: CLASS,
      volumeMode: pvc.spec.volumeMode || 'Filesystem',
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: pvc.metadata.namespace,
        name: pvc.metadata.name,
        uid: pvc.metadata.uid,
      },
      hostPath: { path: path.posix.join(PV_ROOT, dir), type: 'DirectoryOrCreate' },
    },
  };
  fs.mkdirSync(path.join(LOCAL_ROOT, dir), { recursive: true, mode: 0o777 });
  const res = await api('POST', '/api/v1/persistentvolumes', pv);
  if (res.status === 201) console.log(`provisioned ${name} for ${pvc.metadata.namespace}/${pvc.metadata.name}`);
}

async function reclaim(pv) {
  const hostPath = pv.spec.hostPath?.path || '';
  if (hostPath.startsWith(PV_ROOT + '/')) {
    const local = path.join(LOCAL_ROOT, path.basename(hostPath));
    fs.rmSync(local, { recursive: true, force: true });
  }
  await api('DELETE', `/api/v1/persistentvolumes/${pv.metadata.name}`);
  console.log(`deleted ${pv.metadata.name} (claim gone)`);
}

async function tick() {
  const claims = (await api('GET', '/api/v1/persistentvolumeclaims')).body.items || [];
  for (const pvc of claims) {
    if (pvc.spec.storageClassName === CLASS && !pvc.spec.volumeName && pvc.status?.phase === 'Pending') {
      await provision(pvc).catch((e) => console.error(`provision failed: ${e.message}`));
    }
  }
  const volumes = (await api('GET', '/api/v1/persistentvolumes')).body.items || [];
  for (const pv of volumes) {
    const ours = pv.metadata.annotations?.['pv.kubernetes.io/provisioned-by'] === PROVISIONER;
    if (ours && ['Released', 'Failed'].includes(pv.status?.phase)) {
      await reclaim(pv).catch((e) => console.error(`reclaim failed: ${e.message}`));
    }
  }
}

async function main() {
  console.log(`hostpath provisioner: class ${CLASS}, volumes under ${PV_ROOT}`);
  for (;;) {
    await tick().catch((e) => console.error(`tick: ${e.message}`));
    await new Promise((r) => setTimeout(r, 2000));
  }
}

process.on('SIGTERM', () => process.exit(0));
main();
