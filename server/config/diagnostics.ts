// Small helpers over diagnostics.

import type { ConfigDiagnostic, Position, Range, SourceRef } from './types';

/** Orders diagnostics by position (stable), as a reader goes through the file. */
export function sortDiagnostics(diags: ConfigDiagnostic[]): void {
  diags.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

type Placed = { source: SourceRef; origin?: SourceRef };

const before = (a: Position, b: Position): boolean => a.line < b.line || (a.line === b.line && a.character <= b.character);
const within = (outer: Range, inner: Range): boolean => before(outer.start, inner.start) && before(inner.end, outer.end);

/** Whether a diagnostic lies in a config element (a service or container), in the included file it came from when it did. */
function lies(d: ConfigDiagnostic, el: Placed): boolean {
  if (el.origin) return d.origin !== undefined && d.origin.fileName === el.origin.fileName && within(el.origin.range, d.origin.range);
  return within(el.source.range, d.range);
}

/**
 * The `not-applied` warnings of one service's entry for one container: those in the container's
 * entry and those of the service outside its other containers' entries. Dev start shows them once.
 */
export function notAppliedFor(diagnostics: readonly ConfigDiagnostic[], service: Placed & { containers: readonly Placed[] }, container: Placed | undefined): ConfigDiagnostic[] {
  const others = service.containers.filter((c) => c !== container);
  return diagnostics.filter((d) => d.code === 'not-applied' && lies(d, service) && ((container !== undefined && lies(d, container)) || !others.some((c) => lies(d, c))));
}
