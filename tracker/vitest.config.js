import { defineConfig } from 'vitest/config';

// Each test builds its own jsdom window (test/harness.js) and runs the *built* dist/t.js in it,
// so every test gets a fresh page, URL, cookie jar and history. globalSetup builds dist/t.js first.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.js'],
    globalSetup: './test/global-setup.js',
  },
});
