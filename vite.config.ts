import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Relative asset paths: the built folder works from any sub-path or straight off a disk.
  base: './',
  plugins: [react()],
  build: {
    target: 'es2022',
    reportCompressedSize: true,
    // React, React Flow, the engine and the layout make one ~600 KB (≈195 KB gzip) chunk;
    // KaTeX and the image exporter are split off and load on first use.
    chunkSizeWarningLimit: 700,
  },
  server: { open: !process.env.CI },
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
