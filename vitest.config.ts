import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

// Three projects: `unit` and `renderer` are the fast inner loop (`npm run test:unit`: no keyring, no
// token server, nothing beyond 127.0.0.1), `integration` runs the core against the real keyring and
// real OAuth servers (`npm run test:integration`, inside tests/support/with-keyring.sh). `npm test`
// runs all three in one vitest run.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: ['tests/unit/**/*.test.ts'],
          exclude: ['tests/unit/renderer/**'],
          setupFiles: ['tests/support/unit-isolation.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        plugins: [vue()],
        test: {
          name: 'renderer',
          environment: 'happy-dom',
          include: ['tests/unit/renderer/**/*.test.ts'],
          setupFiles: ['tests/support/unit-isolation.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          environment: 'node',
          include: ['tests/integration/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
})
