/**
 * The Cluster port on @kubernetes/client-node: one KubeConfig and one object API per context,
 * rebuilt when the kubeconfig files change.
 *
 * Conventions beyond the port's comments: a namespaced call with namespace '' means every
 * namespace for list and watch, and the context's default namespace for the others (cluster-scoped
 * kinds ignore the namespace); exec and logs write to the caller's streams but never end them; a
 * command that could not start (not found, not executable) resolves `exited` with null after its
 * Status message was written to stderr (stdout with a TTY).
 */
import type { Duplex } from 'node:stream';
import { HttpMethod, type KubeConfig } from '@kubernetes/client-node';
import type { Cluster, ExecProcess, ExecStreams, KubeConfigView, KubeObject, Logger, ResourceType, WatchEventType } from '../../server/ports';
import { KubeApiError, KubeUnreachableError, nullLogger } from '../../server/ports';
import { causeOf, statusError, UnknownTypeError } from './errors';
import { startExec } from './exec';
import { kubeConfigFor, kubeconfigPaths, kubeconfigSignature, loadKubeconfig, toView, type LoadedKubeconfig } from './kubeconfig';
import { streamLogs } from './logs';
import { RawObjectApi } from './objectApi';
import { forwardConnection } from './portForward';
import { listAll, watchObjects } from './watch';

export interface KubeClusterOptions {
  logger?: Logger;
  /**
   * Kubeconfig files joined by the path delimiter, as in KUBECONFIG; read at every call. Without
   * it, the KUBECONFIG of the environment at the time of the call, else ~/.kube/config.
   */
  kubeconfig?: string | (() => string | undefined);
}

interface ContextClient {
  kc: KubeConfig;
  api: RawObjectApi;
}

const CORE_POD: ResourceType = { apiVersion: 'v1', kind: 'Pod' };

const PATCH_CONTENT_TYPES = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
} as const;

export class KubeCluster implements Cluster {
  private loaded: LoadedKubeconfig | undefined;
  private readonly clients = new Map<string, ContextClient>();
  private readonly logger: Logger;

  constructor(private readonly options: KubeClusterOptions = {}) {
    this.logger = options.logger ?? nullLogger;
  }

  private paths(): string[] {
    const k = typeof this.options.kubeconfig === 'function' ? this.options.kubeconfig() : this.options.kubeconfig;
    return k ? kubeconfigPaths({ KUBECONFIG: k }) : kubeconfigPaths();
  }

  /**
   * The merged kubeconfig, read again when a file (or the list of files) looks changed, or always
   * with `force`; the per-context clients (connections, discovery cache) are kept unless the
   * contents really changed.
   */
  private kubeconfig(force = false): LoadedKubeconfig {
    const paths = this.paths();
    if (force || !this.loaded || this.loaded.signature !== kubeconfigSignature(paths)) {
      const fresh = loadKubeconfig(paths);
      if (!this.loaded || this.loaded.contentHash !== fresh.contentHash) this.clients.clear();
      this.loaded = fresh;
    }
    return this.loaded;
  }

  private client(context: string): ContextClient {
    const k = this.kubeconfig();
    let c = this.clients.get(context);
    if (!c) {
      const kc = kubeConfigFor(k, context);
      c = { kc, api: RawObjectApi.make(kc, context) };
      this.clients.set(context, c);
    }
    return c;
  }

  config(): KubeConfigView {
    return toView(this.kubeconfig(true));
  }

  defaultNamespace(context: string): string {
    return this.kubeconfig().contexts.find((c) => c.name === context)?.namespace || 'default';
  }

  async namespaces(context: string): Promise<string[]> {
    const { api } = this.client(context);
    const { items } = await listAll(api, '/api/v1/namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace' });
    return items.map((n) => n.metadata.name).sort();
  }

  async get(context: string, namespace: string, type: ResourceType, name: string): Promise<KubeObject | undefined> {
    const { api } = this.client(context);
    const path = await api.pathOf(type, namespace, name);
    try {
      return await api.request<KubeObject>({ method: HttpMethod.GET, path });
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404 && !(e instanceof UnknownTypeError)) return undefined;
      throw e;
    }
  }

  async list(context: string, namespace: string, type: ResourceType, labelSelector?: string): Promise<KubeObject[]> {
    const { api } = this.client(context);
    const path = await api.pathOf(type, namespace || undefined);
    return (await listAll(api, path, labelSelector, type)).items;
  }

  async create(context: string, object: KubeObject): Promise<KubeObject> {
    const { api } = this.client(context);
    const path = await api.pathOf(object, this.namespaceOf(context, object));
    return api.request({ method: HttpMethod.POST, path, body: object });
  }

  async replace(context: string, object: KubeObject): Promise<KubeObject> {
    const { api } = this.client(context);
    const path = await api.pathOf(object, this.namespaceOf(context, object), object.metadata.name);
    return api.request({ method: HttpMethod.PUT, path, body: object });
  }

  async mergePatch(context: string, namespace: string, type: ResourceType, name: string, patch: object): Promise<KubeObject> {
    const { api } = this.client(context);
    const path = await api.pathOf(type, namespace, name);
    return api.request({ method: HttpMethod.PATCH, path, body: patch, contentType: 'application/merge-patch+json' });
  }

  async patch(context: string, namespace: string, type: ResourceType, name: string, patch: unknown, patchType: 'strategic' | 'merge' | 'json'): Promise<KubeObject> {
    const { api } = this.client(context);
    const path = await api.pathOf(type, namespace, name);
    return api.request({ method: HttpMethod.PATCH, path, body: patch, contentType: PATCH_CONTENT_TYPES[patchType] });
  }

  async delete(
    context: string,
    namespace: string,
    type: ResourceType,
    name: string,
    options?: { propagation?: 'Foreground' | 'Background' | 'Orphan'; gracePeriodSeconds?: number },
  ): Promise<boolean> {
    const { api } = this.client(context);
    const path = await api.pathOf(type, namespace, name);
    try {
      await api.request({
        method: HttpMethod.DELETE,
        path,
        query: { propagationPolicy: options?.propagation ?? 'Background', gracePeriodSeconds: options?.gracePeriodSeconds },
      });
      return true;
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404 && !(e instanceof UnknownTypeError)) return false;
      throw e;
    }
  }

  async apply(context: string, object: KubeObject, fieldManager: string, force: boolean): Promise<KubeObject> {
    const { api } = this.client(context);
    const path = await api.pathOf(object, this.namespaceOf(context, object), object.metadata.name);
    // JSON is YAML: the apply patch goes as JSON under the apply-patch+yaml media type.
    return api.request({
      method: HttpMethod.PATCH,
      path,
      body: object,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager, force: force ? true : undefined },
    });
  }

  async watch(
    context: string,
    namespace: string,
    type: ResourceType,
    onEvent: (type: WatchEventType, object: KubeObject) => void,
    signal: AbortSignal,
    labelSelector?: string,
  ): Promise<void> {
    if (signal.aborted) return;
    const { kc, api } = this.client(context);
    await watchObjects({ kc, api, namespace, type, labelSelector, onEvent, signal, logger: this.logger });
  }

  async exec(context: string, namespace: string, pod: string, container: string, command: string[], streams: ExecStreams): Promise<ExecProcess> {
    const { kc } = this.client(context);
    try {
      return await startExec(kc, namespace, pod, container, command, streams);
    } catch (e) {
      throw await this.streamError(context, namespace, pod, container, e, 'exec');
    }
  }

  async portForward(context: string, namespace: string, pod: string, port: number, connection: Duplex): Promise<void> {
    const { kc } = this.client(context);
    try {
      await forwardConnection(kc, namespace, pod, port, connection);
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('port-forward to')) throw e;
      throw await this.streamError(context, namespace, pod, undefined, e, 'port-forward');
    }
  }

  async logs(
    context: string,
    namespace: string,
    pod: string,
    container: string,
    options: { follow: boolean; tailLines?: number },
    out: NodeJS.WritableStream,
    signal: AbortSignal,
  ): Promise<void> {
    const { kc, api } = this.client(context);
    await streamLogs(kc, api, namespace, pod, container, options, out, signal);
  }

  private namespaceOf(context: string, object: KubeObject): string {
    return object.metadata.namespace || this.defaultNamespace(context);
  }

  /**
   * A websocket that failed to open says only "Unexpected server response: 404"; the API's
   * Status is not available there, so look at the pod to say what is wrong.
   */
  private async streamError(context: string, namespace: string, pod: string, container: string | undefined, e: unknown, what: string): Promise<Error> {
    const { api } = this.client(context);
    const text = e instanceof Error ? e.message : String((e as any)?.message ?? e);
    const m = /Unexpected server response: (\d+)/.exec(text);
    if (!m) return new KubeUnreachableError(`${what} ${namespace}/${pod}: cannot reach the Kubernetes API server ${api.server} (context "${context}"): ${causeOf(e)}`, { cause: e });
    const code = Number(m[1]);
    let object: KubeObject | undefined;
    try {
      object = await this.get(context, namespace, CORE_POD, pod);
    } catch (inner) {
      return inner instanceof Error ? inner : new Error(String(inner));
    }
    if (!object) return new KubeApiError(404, 'NotFound', `pods "${pod}" not found`);
    const spec = object.spec ?? {};
    const names = [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])].map((c: any) => c.name);
    if (container !== undefined && !names.includes(container)) {
      return new KubeApiError(400, 'BadRequest', `container ${container} is not valid for pod ${pod}`);
    }
    const phase = object.status?.phase;
    if (phase && phase !== 'Running') return new KubeApiError(400, 'BadRequest', `pod ${pod} is not running (phase ${phase}); cannot ${what}`);
    return statusError(code, undefined, `${what} ${namespace}/${pod}${container ? ` (${container})` : ''}: the API server answered ${code}`);
  }
}

