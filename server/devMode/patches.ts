import { applyPatch, type Operation } from 'fast-json-patch';
import { apply as applyMergePatch } from 'json-merge-patch';
import { parse as parseYaml } from 'yaml';
import { ErrorCode, type WorkloadKind } from '../../protocol';
import { NhdError } from '../errors';
import type { KubeObject } from '../ports';

/**
 * `dev.patches`: the user's patches to the workload, applied in order after nhd's own changes, as
 * Nocalhost applies them. For a workload edited in place the API server applies them (it alone
 * knows strategic merge's list keys, so that is its job); a Job's or a Pod's spec is immutable
 * once created, so those are patched here before they are created: JSON patch and JSON merge
 * patch only, a strategic one is refused before anything changes (plan.ts).
 */

export type PatchType = 'strategic' | 'merge' | 'json';

/** One patch, its text parsed. */
export interface DevPatch {
  type: PatchType;
  body: unknown;
}

/** Parses each patch's text (JSON, or YAML as Nocalhost's files sometimes write it). */
export function parsePatches(patches: readonly { patch: string; type: PatchType }[]): DevPatch[] {
  return patches.map(({ patch, type }, i) => {
    let body: unknown;
    try {
      body = parseYaml(patch);
    } catch (error) {
      throw new NhdError(ErrorCode.ConfigInvalid, `dev.patches[${i}] is not valid JSON or YAML: ${(error as Error).message.split('\n')[0]}. Fix the patch text in the dev config.`);
    }
    const shapeOk = type === 'json' ? Array.isArray(body) : body !== null && typeof body === 'object' && !Array.isArray(body);
    if (!shapeOk) {
      const want = type === 'json' ? 'a JSON patch is a list of operations ([{"op": "add", ...}])' : `a ${type} patch is an object ({"spec": ...})`;
      throw new NhdError(ErrorCode.ConfigInvalid, `dev.patches[${i}] (type ${type}) has the wrong shape: ${want}.`);
    }
    return { type, body };
  });
}

/** Applies patches to an object that is about to be created (the recreated kinds). */
export function applyPatchesLocally(kind: WorkloadKind, object: KubeObject, patches: readonly DevPatch[]): KubeObject {
  let out = object;
  patches.forEach((patch, i) => {
    switch (patch.type) {
      case 'strategic':
        throw new NhdError(
          ErrorCode.ConfigInvalid,
          `dev.patches[${i}] is a strategic merge patch, which nhd cannot apply to a ${kind}: its spec is immutable, so nhd creates it patched, and only the API server knows strategic merge. Write it as type: merge or type: json.`,
        );
      case 'merge':
        out = applyMergePatch(structuredClone(out), patch.body) as KubeObject;
        break;
      case 'json':
        try {
          out = applyPatch(structuredClone(out), patch.body as Operation[], true, false).newDocument;
        } catch (error) {
          throw new NhdError(ErrorCode.ConfigInvalid, `dev.patches[${i}] (type json) does not apply to the dev ${kind}: ${(error as Error).message.split('\n')[0]}.`);
        }
        break;
    }
  });
  return out;
}
