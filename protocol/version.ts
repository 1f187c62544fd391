/**
 * The protocol's version. It follows semver: a client built for 1.x works with any 1.y daemon
 * (y >= x's minor for the features it uses); a major bump breaks clients. The daemon returns it
 * in `initialize`'s result (`capabilities.experimental.nhd.protocolVersion`).
 */
export const PROTOCOL_VERSION = '0.2.0' as const;

/** The prefix of every custom method: `nhd/<area>/<verb>`. */
export const METHOD_PREFIX = 'nhd/' as const;
