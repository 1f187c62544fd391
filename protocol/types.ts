/** A version string `MAJOR.MINOR.PATCH`. */
export type ProtocolVersionString = string;

/** A position in a text document: zero-based line and UTF-16 character offset, as in LSP. */
export interface Position {
  /** Zero-based line. */
  line: number;
  /** Zero-based offset in the line, in UTF-16 code units. */
  character: number;
}

/** A range in a text document, end exclusive, as in LSP. */
export interface Range {
  /** The first position in the range. */
  start: Position;
  /** The position just after the range. */
  end: Position;
}

/** Parameters that may carry a work-done progress token (LSP's WorkDoneProgressParams). */
export interface WorkDoneParams {
  /** A token the client made; the daemon reports `$/progress` for this request under it. */
  workDoneToken?: string | number;
}

/** Parameters of a request that takes none: `{}` (or omitted). */
export type NoParams = Record<string, never>;
