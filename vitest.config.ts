import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const packages = ['protocol', 'firmware-config', 'gateway', 'cloud', 'simulators'];

// Tests import workspace packages from their TypeScript sources, so a test never runs against a
// stale dist/. CLI tests spawn the built dist/ (npm test builds first).
// Subpath exports (node-only helpers kept out of protocol's index) map to their sources too.
const subpaths = [
  { find: /^@storesense\/protocol\/cli$/, replacement: `${root}protocol/src/cli-exit.ts` },
  { find: /^@storesense\/protocol\/progress$/, replacement: `${root}protocol/src/cli-progress.ts` },
  { find: /^@storesense\/protocol\/testing$/, replacement: `${root}protocol/src/shared-data.ts` },
];
const alias = [...subpaths, ...packages.map((p) => ({ find: new RegExp(`^@storesense/${p}$`), replacement: `${root}${p}/src/index.ts` }))];

export default defineConfig({
  resolve: { alias },
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      ...packages.map((p) => ({
        resolve: { alias },
        test: {
          name: p,
          root: `${root}${p}`,
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          pool: 'forks' as const,
          // Inline projects do not inherit the root's test options: without these a project runs
          // with vitest's 5 s default, which a loaded 2-core machine exceeds on process-spawning tests.
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      })),
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          root: `${root}tests`,
          include: ['**/*.test.ts'],
          exclude: ['dist/**', 'node_modules/**'],
          pool: 'forks' as const,
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
