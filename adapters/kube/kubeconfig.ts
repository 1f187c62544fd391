/**
 * The kubeconfig as kubectl reads it: KUBECONFIG with several files joined by the path delimiter
 * (the first file that names a cluster, user or context wins; current-context comes from the first
 * file that sets one; files that do not exist are skipped), else ~/.kube/config.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KubeConfig, type Cluster as KcCluster, type Context as KcContext, type User as KcUser } from '@kubernetes/client-node';
import type { KubeConfigView } from '../../server/ports';
import { KubeUnreachableError, messageOf } from '../../server/ports';

export interface LoadedKubeconfig {
  /** The files that were read, in order. */
  files: string[];
  currentContext: string;
  clusters: KcCluster[];
  users: KcUser[];
  contexts: KcContext[];
  /** Changes when KUBECONFIG or any of its files changes (stat only, cheap). */
  signature: string;
  /** A hash of the files' names and contents: equal means nothing changed. */
  contentHash: string;
}

/** The files kubectl would read, whether or not they exist. */
export function kubeconfigPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = env.KUBECONFIG;
  if (list !== undefined && list !== '') return list.split(path.delimiter).filter((f) => f !== '');
  return [path.join(os.homedir(), '.kube', 'config')];
}

/** A cheap fingerprint of the kubeconfig files (stat only), to know when to read them again. */
export function kubeconfigSignature(paths: string[] = kubeconfigPaths()): string {
  return paths
    .map((f) => {
      try {
        const st = fs.statSync(f);
        return `${f}\0${st.ino}\0${st.size}\0${st.mtimeMs}`;
      } catch {
        return `${f}\0-`;
      }
    })
    .join('\n');
}

export function loadKubeconfig(paths: string[] = kubeconfigPaths()): LoadedKubeconfig {
  const signature = kubeconfigSignature(paths);
  const out: LoadedKubeconfig = { files: [], currentContext: '', clusters: [], users: [], contexts: [], signature, contentHash: '' };
  const hash = crypto.createHash('sha256');
  const seen = { clusters: new Set<string>(), users: new Set<string>(), contexts: new Set<string>() };
  for (const file of paths) {
    if (!fs.existsSync(file)) continue;
    const kc = new KubeConfig();
    try {
      const text = fs.readFileSync(file, 'utf8');
      hash.update(`${file}\0${text}\0`);
      kc.loadFromString(text);
      kc.makePathsAbsolute(path.dirname(file));
    } catch (e) {
      throw new KubeUnreachableError(`cannot read kubeconfig ${file}: ${messageOf(e)}`, { cause: e });
    }
    out.files.push(file);
    if (out.currentContext === '' && kc.getCurrentContext()) out.currentContext = kc.getCurrentContext();
    for (const c of kc.getClusters()) if (!seen.clusters.has(c.name)) (seen.clusters.add(c.name), out.clusters.push(c));
    for (const u of kc.getUsers()) if (!seen.users.has(u.name)) (seen.users.add(u.name), out.users.push(u));
    for (const c of kc.getContexts()) if (!seen.contexts.has(c.name)) (seen.contexts.add(c.name), out.contexts.push(c));
  }
  out.contentHash = hash.digest('hex');
  return out;
}

export function toView(k: LoadedKubeconfig): KubeConfigView {
  return {
    files: [...k.files],
    currentContext: k.currentContext,
    contexts: k.contexts.map((c) => ({
      name: c.name,
      cluster: c.cluster,
      user: c.user,
      ...(c.namespace ? { namespace: c.namespace } : {}),
    })),
  };
}

/** A KubeConfig whose current context is `context`, for client-node's classes. */
export function kubeConfigFor(k: LoadedKubeconfig, context: string): KubeConfig {
  const ctx = k.contexts.find((c) => c.name === context);
  if (!ctx) {
    const where = k.files.length ? k.files.join(', ') : 'no kubeconfig file found';
    throw new KubeUnreachableError(`context "${context}" is not in the kubeconfig (${where})`);
  }
  if (!k.clusters.some((c) => c.name === ctx.cluster)) throw new KubeUnreachableError(`context "${context}" names cluster "${ctx.cluster}", which is not in the kubeconfig`);
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: k.clusters, users: k.users, contexts: k.contexts, currentContext: context });
  return kc;
}
