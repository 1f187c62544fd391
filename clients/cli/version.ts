import packageJson from '../../package.json' with { type: 'json' };

/**
 * nhd's version, from package.json (bundled at build time). With NHD_TEST_HOOKS=1,
 * NHD_TEST_VERSION overrides it so tests can start a daemon "of another version".
 */
export const VERSION: string =
  process.env['NHD_TEST_HOOKS'] === '1' && process.env['NHD_TEST_VERSION'] ? process.env['NHD_TEST_VERSION'] : packageJson.version;
