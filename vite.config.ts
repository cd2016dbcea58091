import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Relative asset paths: the built folder works from any sub-path or straight off a disk.
  base: './',
  plugins: [react()],
  build: {
    target: 'es2022',
    reportCompressedSize: true,
  },
  server: { open: !process.env.CI },
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
