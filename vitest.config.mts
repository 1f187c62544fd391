import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Three suites: unit (pure code, fast; unit-vscode is its part that runs the extension against a
// fake `vscode`), integration (the built daemon over real transports,
// real editors and debuggers, no cluster) and e2e (the real local Kubernetes in test/cluster).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], exclude: ['test/unit/vscode/**'] } },
      {
        // The VS Code extension's editor side, against a small fake of the `vscode` module.
        resolve: { alias: { vscode: fileURLToPath(new URL('test/unit/vscode/fakeVscode.ts', import.meta.url)) } },
        test: { name: 'unit-vscode', include: ['test/unit/vscode/**/*.test.ts'] },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/globalSetup.ts'],
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
          // devModeFaults.test.ts runs its six kinds at once.
          maxConcurrency: 6,
        },
      },
      {
        test: {
          name: 'bench',
          include: ['bench/**/*.bench.ts'],
          globalSetup: ['test/e2e/globalSetup.ts'],
          testTimeout: 1_800_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
