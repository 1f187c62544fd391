/**
 * KubernetesObjectApi for any apiVersion/kind, with plain JSON in and out. client-node's own
 * create/replace/patch run objects through its typed serializer, which drops fields its models do
 * not know and turns timestamps into Date objects; this subclass keeps client-node's discovery
 * (specUriPath/resource), authentication and transport but sends and returns the JSON untouched.
 */
import { HttpMethod, KubernetesObjectApi, type KubeConfig, type RequestContext, type ResponseContext } from '@kubernetes/client-node';
import type { KubeObject, ResourceType } from '../../server/ports';
import { KubeApiError } from '../../server/ports';
import { statusError, toClusterError, UnknownTypeError } from './errors';

export interface RawRequest {
  method: HttpMethod;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** Return the body as text instead of parsing JSON. */
  text?: boolean;
}

export class RawObjectApi extends KubernetesObjectApi {
  server = '';
  context = '';

  static make(kc: KubeConfig, context: string): RawObjectApi {
    const api = kc.makeApiClient(RawObjectApi);
    api.setDefaultNamespace(kc);
    api.server = kc.getCurrentCluster()?.server ?? '';
    api.context = context;
    return api;
  }

  /** The URL path of an object (with name) or of a collection (without); discovery errors mapped. */
  async pathOf(type: ResourceType, namespace: string | undefined, name?: string): Promise<string> {
    const spec: any = { apiVersion: type.apiVersion, kind: type.kind, metadata: { ...(namespace ? { namespace } : {}), ...(name !== undefined ? { name } : {}) } };
    try {
      return await this.specUriPath(spec, name === undefined ? 'list' : 'read');
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('Unrecognized API version and kind')) throw new UnknownTypeError(type.apiVersion, type.kind);
      if (e instanceof KubeApiError && e.status === 404) throw new UnknownTypeError(type.apiVersion, type.kind);
      throw toClusterError(e, this.server, this.context);
    }
  }

  /** Is this kind namespaced? (discovery) */
  async namespaced(type: ResourceType): Promise<boolean> {
    await this.pathOf(type, undefined);
    const r = await this.resource(type.apiVersion, type.kind);
    return !!r?.namespaced;
  }

  async request<T = any>(req: RawRequest): Promise<T> {
    const ctx: RequestContext = this.configuration.baseServer.makeRequestContext(req.path, req.method);
    ctx.setHeaderParam('Accept', req.text ? '*/*' : 'application/json');
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) ctx.setQueryParam(k, String(v));
    if (req.body !== undefined) {
      ctx.setHeaderParam('Content-Type', req.contentType ?? 'application/json');
      ctx.setBody(JSON.stringify(req.body));
    }
    try {
      return (await this.requestPromise(ctx as any, req.text ? 'text' : 'json')) as T;
    } catch (e) {
      throw toClusterError(e, this.server, this.context);
    }
  }

  /** Overrides client-node's: no typed deserialization, Status bodies become KubeApiError. */
  protected override async processResponse<T>(response: ResponseContext, type?: string): Promise<T> {
    const text = await response.body.text();
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) {
      if (type === 'text') return text as T;
      return (text === '' ? undefined : JSON.parse(text)) as T;
    }
    throw statusError(response.httpStatusCode, text);
  }
}

/** List items come without apiVersion and kind; put them back. */
export function withType(items: any[] | undefined, type: ResourceType): KubeObject[] {
  return (items ?? []).map((o) => ({ apiVersion: type.apiVersion, kind: type.kind, ...o }));
}
