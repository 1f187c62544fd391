import { ErrorCode, type DevOwner, type WorkloadRef } from '../../protocol';
import { NhdError } from '../errors';
import { describe } from '../kubeScope';

/**
 * The owner lock as a person reads it: who holds a workload, since when, and what to do about it.
 * The lock itself is an annotation (annotations.ts); only its holder ends or restarts dev mode
 * without `--force`.
 */

/** Refuses when someone else holds the workload and `force` is not given. */
export function checkOwner(ref: WorkloadRef, owner: DevOwner | undefined, me: string, force: boolean | undefined, action: 'start' | 'end', now: number): void {
  if (owner && owner.identity !== me && !force) throw ownedByOther(ref, owner, action, now);
}

export function ownedByOther(ref: WorkloadRef, owner: DevOwner, action: 'start' | 'end', now: number): NhdError {
  const ago = formatAgo(now - Date.parse(owner.since));
  const what = `${describe(ref)} is in dev mode, started by ${owner.identity} ${ago} ago (at ${owner.since})`;
  const advice = action === 'start' ? 'ask them to end it, or pass --force to take it over' : 'ask them to end it, or pass --force to end it anyway';
  return new NhdError(ErrorCode.DevModeOwnedByOther, `${what}; ${advice}.`, { owner });
}

export function formatAgo(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 1) return 'less than a minute';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} days`;
}
